/**
 * The README's quickstart, as a new user runs it: `npm start` on a fresh data directory, then
 * every command between the README's walkthrough markers, in order, with bash. Only the ports
 * are moved (to free ones, in the commands and the example files alike), so the test never
 * collides with anything else listening on this machine.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnTollgate, type Spawned } from '../helpers/process';
import { adminClient } from '../helpers/http';
import { waitConverged } from '../helpers/topology';

const ROOT = join(__dirname, '..', '..', '..');
const background: ChildProcess[] = [];
let gateway: Spawned | undefined;
const work = mkdtempSync(join(tmpdir(), 'readme-walkthrough-'));

after(async () => {
  for (const p of background) p.kill();
  await gateway?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The shell lines between `<!-- walkthrough:start -->` and `<!-- walkthrough:end -->`. */
function walkthrough(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('<!-- walkthrough:start -->'),
    readme.indexOf('<!-- walkthrough:end -->'),
  );
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(block, 'the README has its walkthrough');
  return block[1].split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
}

function run(line: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', line], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

test('the README quickstart: start, sync the example, proxy a request, the MCP client as developer and admin', async () => {
  const ports = { proxy: await freePort(), admin: await freePort(), example: await freePort() };
  const move = (text: string) =>
    text
      .replace(/(127\.0\.0\.1|localhost):8000\b/g, `127.0.0.1:${ports.proxy}`)
      .replace(/(127\.0\.0\.1|localhost):8001\b/g, `127.0.0.1:${ports.admin}`)
      .replace(/127\.0\.0\.1:3333\b/g, `127.0.0.1:${ports.example}`);
  // The commands run in the clone; the example decK file is read with its port moved.
  const quickstart = join(work, 'quickstart.yaml');
  writeFileSync(quickstart, move(readFileSync(join(ROOT, 'examples', 'quickstart.yaml'), 'utf8')));

  const env = {
    TOLLGATE_DATA_DIR: join(work, 'data'),
    TOLLGATE_PROXY_LISTEN: `127.0.0.1:${ports.proxy}`,
    TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${ports.admin}`,
    TOLLGATE_ADMIN_URL: `http://127.0.0.1:${ports.admin}`,
    TOLLGATE_CLUSTER_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_PROXY_SSL_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_CONSOLE_LISTEN: `127.0.0.1:${await freePort()}`,
    PORT: String(ports.example),
  };
  // `npm start` is `tollgate start`.
  gateway = spawnTollgate(['start'], { ...env, TOLLGATE_CP_URL: undefined, DATABASE_URL: undefined });
  await gateway.waitFor(/data plane \S+: proxy listening on/);
  assert.match(gateway.output(), /creating the embedded database/, 'the first start says what it does');

  const outputs: string[] = [];
  for (const original of walkthrough()) {
    const line = move(original).replace('examples/quickstart.yaml', quickstart);
    if (line.trim().endsWith('&')) {
      const child = spawn('bash', ['-c', line.trim().slice(0, -1)], {
        cwd: ROOT,
        env: { ...process.env, ...env },
      });
      background.push(child);
      await new Promise<void>((resolve) =>
        child.stdout!.on('data', (d) => String(d).includes('example MCP server') && resolve()),
      );
      outputs.push('');
      continue;
    }
    const r = await run(line, env);
    assert.equal(r.code, 0, `${original}\n${r.out}`);
    outputs.push(r.out);
    // The data plane runs the synced config before the next command.
    if (/tollgate(\.js)? sync/.test(original)) {
      const { hash } = (await adminClient(env.TOLLGATE_ADMIN_URL)('GET', '/config')).body;
      await waitConverged([{ statusUrl: `http://${env.TOLLGATE_STATUS_LISTEN}` }], hash);
    }
  }
  const [, sync, plain, add, devDelete, opsDelete, analytics] = outputs;
  assert.match(sync, /creating service example-mcp/);
  assert.match(plain, /"hello":"from the example server"/);
  assert.match(add, /^tools: echo, add\nadd: 5\n$/);
  assert.match(
    devDelete,
    /delete_everything: refused: MCP error -32602: Tool 'delete_everything' is not available for consumer group 'developer'/,
  );
  assert.match(
    opsDelete,
    /^tools: echo, add, delete_everything\ndelete_everything: everything deleted \(not really\)\n$/,
  );
  assert.match(analytics, /^TOOL\s+REQUESTS/m);
});
