// Preloaded into the API by `npm run bench -- --cpu-prof` (node --require). Each SIGWINCH writes
// the CPU profile recorded since the previous one to BENCH_PROFILE_DIR/<n>.cpuprofile, so the
// bench can profile one scenario at a time (node's own --cpu-prof writes only at a clean exit,
// which Nest's signal handling never reaches). SIGWINCH because Nest's shutdown hooks take SIGUSR2.
const { Session } = require('node:inspector');
const { writeFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.BENCH_PROFILE_DIR;
const session = new Session();
session.connect();
let written = 0;

function start() {
  session.post('Profiler.enable', () =>
    session.post('Profiler.setSamplingInterval', { interval: 200 }, () =>
      session.post('Profiler.start'),
    ),
  );
}

process.on('SIGWINCH', () => {
  session.post('Profiler.stop', (error, result) => {
    if (!error) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${written++}.cpuprofile`), JSON.stringify(result.profile));
    }
    start();
  });
});
start();
