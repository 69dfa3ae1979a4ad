/**
 * Preloaded (`--require`) into a process to profile it: a V8 CPU profile from start to exit,
 * written to `$BENCH_CPU_PROFILE_DIR/<pid>.cpuprofile` (NODE_OPTIONS refuses --cpu-prof).
 * Open it in Chrome DevTools, or summarise it with `node dist/bench/profile-summary.js`.
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  // The in-process inspector answers synchronously, so this runs to the end inside 'exit'.
  process.on('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
