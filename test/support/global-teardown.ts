import { rmSync } from 'node:fs';
import type { RunningDatabase } from '../../src/database/embedded-database';

export default async function globalTeardown() {
  const database = (globalThis as { embeddedDatabase?: RunningDatabase }).embeddedDatabase;
  if (!database) return;
  await database.stop();
  rmSync(process.env.TEST_EMBEDDED_DATA_DIR!, { recursive: true, force: true });
}
