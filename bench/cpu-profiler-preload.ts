/**
 * Loaded into the gateway with `NODE_OPTIONS=--require …/cpu-profiler-preload.js` (Node
 * refuses `--cpu-prof` in NODE_OPTIONS). The first SIGUSR2 starts V8's sampling profiler,
 * the next one stops it and writes `<BENCH_PROFILE_DIR>/gateway-<pid>-<n>.cpuprofile`, so
 * the profile covers exactly the window the bench measures.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR ?? '/tmp';
const session = new Session();
session.connect();
let running = false;
let written = 0;

process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    session.post('Profiler.enable', () =>
      session.post('Profiler.setSamplingInterval', { interval: 100 }, () =>
        session.post('Profiler.start', () => log({ msg: 'cpu profile started' })),
      ),
    );
    return;
  }
  running = false;
  session.post('Profiler.stop', (err, result) => {
    if (err) return process.stderr.write(`cpu profiler: ${err.message}\n`);
    const file = join(dir, `gateway-${process.pid}-${++written}.cpuprofile`);
    writeFileSync(file, JSON.stringify(result.profile));
    log({ msg: 'cpu profile written', file, memory: process.memoryUsage() });
  });
});

function log(entry: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ level: 'info', ...entry })}\n`);
}
