/**
 * The official `server-everything` over Streamable HTTP on a free loopback port. It listens on
 * every interface; the preload (test/fixtures/loopback.cjs) keeps it on loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './process';

const ROOT = join(__dirname, '..', '..', '..');

/** On `port` when given (a replica restarted where it was). */
export async function startServerEverything(port?: number): Promise<{ port: number; child: ChildProcess }> {
  port ??= await freePort();
  const child = spawn(
    process.execPath,
    [
      '-r',
      join(ROOT, 'test', 'fixtures', 'loopback.cjs'),
      join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js'),
      'streamableHttp',
    ],
    { env: { PATH: process.env.PATH, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      if (/listening on port/i.test(out)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server-everything exited ${code}: ${out}`)));
  });
  return { port, child };
}
