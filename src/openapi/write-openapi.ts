import { readFileSync, writeFileSync } from 'node:fs';
import { createApp, openApiDocumentOf } from '../app.setup';
import { loadConfig } from '../config/config';

/**
 * The document exactly as GET /docs-json serves it, from the app in preview mode: no server
 * listens and no database is needed (nothing is instantiated, so nothing connects).
 */
export async function generateOpenApiDocument(): Promise<string> {
  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: 'openapi-generation-only-never-signs-anything-0123456789',
    DATABASE_URL: 'postgres://openapi.invalid/never-connected',
    DOCS_ENABLED: 'true',
  });
  const app = await createApp(config, config.databaseUrl!, { logger: false, preview: true });
  try {
    return `${JSON.stringify(openApiDocumentOf(app), null, 2)}\n`;
  } finally {
    await app.close();
  }
}

/** `write-openapi <file>` writes it; `write-openapi --check <file>` fails when <file> differs. */
async function main(args: string[]) {
  const check = args[0] === '--check';
  const file = check ? args[1] : args[0];
  if (!file) throw new Error('usage: write-openapi [--check] <file>');
  const document = await generateOpenApiDocument();
  if (!check) {
    writeFileSync(file, document);
    return;
  }
  let committed = '';
  try {
    committed = readFileSync(file, 'utf8');
  } catch {
    // A missing file is drift too.
  }
  if (committed !== document) {
    console.error(`${file} is out of date with the code: run \`npm run openapi\` and commit it.`);
    process.exitCode = 1;
  } else {
    console.log(`${file} matches the code.`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
}
