#!/usr/bin/env bash
# Regenerates the typed client from the committed openapi.json into a scratch folder and fails
# when it differs from client/src/generated (run `npm run client:generate` and commit).
set -euo pipefail
cd "$(dirname "$0")/../client"
scratch=.drift
rm -rf "$scratch"
CLIENT_OUTPUT="$scratch" npx --no-install openapi-ts --silent -f openapi-ts.config.mjs
if ! diff -r src/generated "$scratch"; then
  echo "client/src/generated is out of date with openapi.json: run \`npm run client:generate\` and commit it." >&2
  rm -rf "$scratch"
  exit 1
fi
rm -rf "$scratch"
echo "client/src/generated matches openapi.json."
