/**
 * `tollgate start`'s data plane as its own OS process. PGlite runs Postgres (WASM) on the
 * thread that calls it, so in one process every database call of the control plane would stall
 * the proxy's event loop. The child is tied to the parent by an IPC channel: when the parent
 * goes away, even by SIGKILL, the channel closes and the child shuts down (no orphan keeps the
 * ports). A child that dies on its own is started again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(__dirname, '..', '..', 'bin', 'tollgate.js');

export function startChildDataPlane(
  env: Record<string, string>,
  log: (line: string) => void,
): () => Promise<void> {
  let child: ChildProcess | null = null;
  let stopping = false;
  const run = () => {
    child = spawn(process.execPath, [BIN, 'data-plane'], {
      env: { ...process.env, ...env, TOLLGATE_PARENT_IPC: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('exit', (code, signal) => {
      child = null;
      if (stopping) return;
      log(`data plane exited (${signal ?? code}); starting it again in 1 s`);
      setTimeout(() => !stopping && run(), 1000).unref();
    });
  };
  run();
  return async () => {
    stopping = true;
    const c = child;
    if (!c) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => c.kill('SIGKILL'), 10_000);
      c.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      c.kill('SIGTERM');
    });
  };
}

/** In a data plane started by `tollgate start`: stop when the parent is gone. */
export function exitWithParent(stop: () => void): void {
  if (process.channel) {
    process.on('disconnect', stop);
    process.channel.unref();
  } else if (process.env.TOLLGATE_PARENT_IPC === '1') {
    stop(); // started by a parent that is already gone
  }
}
