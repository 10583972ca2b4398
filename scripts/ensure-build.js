// `npm start` for a newcomer: build once when dist/ is missing or older than the sources.
const { execSync } = require('node:child_process');
const { existsSync, statSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'src', 'main.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

if (!existsSync(entry) || statSync(entry).mtimeMs < newestSource(join(__dirname, '..', 'src'))) {
  console.log('Building the server (first start or sources changed)...');
  execSync('npm run build', { stdio: 'inherit', cwd: join(__dirname, '..') });
}
