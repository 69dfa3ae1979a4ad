/**
 * A real Redis (Debian's redis-server) on a free loopback port, keeping nothing on disk, that a
 * test can stop and start again on the same port (Redis killed mid-run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './process';

export interface TestRedis {
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const r: TestRedis = {
    port,
    async start() {
      const c = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child = c;
      await new Promise<void>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
        c.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (/Ready to accept connections/.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        });
        c.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`redis-server exited (${code}): ${out}`));
        });
      });
    },
    async stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGKILL');
      });
    },
  };
  await r.start();
  return r;
}
