// `npm run client:generate` (from the repository root): the typed client in src/generated,
// from the committed ../openapi.json. CLIENT_OUTPUT lets client:check generate elsewhere to diff.
import { defineConfig } from '@hey-api/openapi-ts';

export default defineConfig({
  input: '../openapi.json',
  output: {
    path: process.env.CLIENT_OUTPUT ?? 'src/generated',
    // This package's own tsconfig (CommonJS): imports without file extensions.
    tsConfigPath: './tsconfig.json',
  },
  logs: { file: false },
  plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
});
