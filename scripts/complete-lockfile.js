// The npm registry reachable here lacks some platform builds that @swc/core and unrs-resolver
// list as optional dependencies (macOS, Windows, exotic Linux). `npm install` then writes a lock
// file without them and `npm ci` refuses it as out of sync. This adds a lock entry for each missing
// optional platform package, with its os/cpu, so npm ci skips it on every other platform as usual.
// Run after changing dependencies: `node scripts/complete-lockfile.js`.
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const file = join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(file, 'utf8'));
const OS = { darwin: 'darwin', linux: 'linux', win32: 'win32', freebsd: 'freebsd', android: 'android', openharmony: 'openharmony' };
const CPU = { arm64: 'arm64', x64: 'x64', ia32: 'ia32', arm: 'arm', ppc64: 'ppc64', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };

let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const target = `${path ? path + '/' : ''}node_modules/${name}`;
    if (lock.packages[target] || lock.packages[`node_modules/${name}`]) continue;
    const parts = name.split('/').pop().split('-');
    const os = parts.find((part) => OS[part]);
    const cpu = parts.find((part) => CPU[part]) ?? (parts.includes('eabi') ? 'arm' : undefined);
    if (!os || !cpu) continue;
    const stub = { version: version.replace(/^[\^~]/, ''), cpu: [cpu], os: [os], optional: true };
    if (entry.dev) stub.dev = true;
    if (parts.includes('musl') || parts.includes('musleabihf')) stub.libc = ['musl'];
    else if (os === 'linux') stub.libc = ['glibc'];
    lock.packages[`node_modules/${name}`] = stub;
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`complete-lockfile: added ${added} missing optional platform entries`);
