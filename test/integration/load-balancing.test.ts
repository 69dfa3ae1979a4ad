/**
 * Kong's upstreams and targets as a Kong user drives them — the Admin API (Kong's checks and
 * messages, targets by `host:port`), a decK file (nested targets: sync, clean diff, dump) — and
 * as an MCP platform needs them: a seed-style MCP route balanced over three server-everything
 * replicas, hashing on `Mcp-Session-Id`, with one replica killed mid-run.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { mustCreate, sendThrough, startStack, type Stack } from '../helpers/stack';
import { startEchoUpstream, waitFor } from '../helpers/topology';
import { startServerEverything } from '../helpers/server-everything';
import { runTollgate } from '../helpers/process';
import { deckEnv, syncCleanly } from '../helpers/deck';

let s: Stack;
const replicas: { port: number; child: ChildProcess }[] = [];
const echoes: Awaited<ReturnType<typeof startEchoUpstream>>[] = [];

before(async () => {
  s = await startStack();
  for (let i = 0; i < 3; i++) replicas.push(await startServerEverything());
  for (let i = 0; i < 2; i++) echoes.push(await startEchoUpstream());
});
after(async () => {
  for (const r of replicas) r.child.kill('SIGKILL');
  for (const e of echoes) await e.close();
  await s?.close();
});

test('upstreams and targets: Kong’s checks, shorthands and messages', async () => {
  const noPort = await s.api('POST', '/upstreams', { name: 'api.internal:8080' });
  assert.equal(noPort.status, 400);
  assert.equal(noPort.body.fields.name, "Invalid name ('api.internal:8080'); no port allowed");
  const ip = await s.api('POST', '/upstreams', { name: '10.0.0.1' });
  assert.equal(ip.body.fields.name, "Invalid name ('10.0.0.1'); no ip addresses allowed");
  const header = await s.api('POST', '/upstreams', { name: 'h.internal', hash_on: 'header' });
  assert.equal(header.status, 400);
  assert.equal(header.body.fields.hash_on_header, 'required field missing');

  const u = await mustCreate(s.api, '/upstreams', { name: 'api.internal', hash_on: 'consumer' });
  assert.equal(u.algorithm, 'consistent-hashing', 'hashing on something means consistent-hashing');
  assert.equal(u.slots, 10000);
  assert.deepEqual(u.healthchecks.passive.unhealthy.http_statuses, [429, 500, 503]);
  const lc = await s.api('PATCH', '/upstreams/api.internal', { algorithm: 'least-connections' });
  assert.equal(lc.body.hash_on, 'none', 'least-connections hashes on nothing');

  const t = await mustCreate(s.api, '/upstreams/api.internal/targets', { target: '127.0.0.1' });
  assert.equal(t.target, '127.0.0.1:8000', 'a target without a port gets 8000');
  assert.equal(t.weight, 100);
  const dup = await s.api('POST', '/upstreams/api.internal/targets', { target: '127.0.0.1:8000' });
  assert.equal(dup.status, 409, JSON.stringify(dup.body));
  const bad = await s.api('POST', '/upstreams/api.internal/targets', { target: 'not a host' });
  assert.equal(bad.body.fields.target, 'Invalid target; not a valid hostname or ip address');
  const byAddress = await s.api('GET', '/upstreams/api.internal/targets/127.0.0.1:8000');
  assert.equal(byAddress.body.id, t.id);
  const weighted = await s.api('PATCH', '/upstreams/api.internal/targets/127.0.0.1', { weight: 0 });
  assert.equal(weighted.body.weight, 0);
  assert.equal((await s.api('GET', '/targets')).status, 404, 'Kong has no top-level /targets');
  assert.equal((await s.api('DELETE', '/upstreams/api.internal/targets/127.0.0.1:8000')).status, 204);
  assert.equal((await s.api('GET', `/upstreams/api.internal/targets/${t.id}`)).status, 404);
  assert.equal((await s.api('DELETE', '/upstreams/api.internal')).status, 204);
  const schema = (await s.api('GET', '/schemas/upstreams')).body;
  assert.ok(
    schema.fields.some((f: any) => f.healthchecks),
    'the schema Kong Manager reads',
  );
});

test('a service whose host is an upstream balances over its targets by weight', async () => {
  await mustCreate(s.api, '/upstreams', { name: 'echo.internal' });
  await mustCreate(s.api, '/upstreams/echo.internal/targets', {
    target: `127.0.0.1:${echoes[0].port}`,
    weight: 300,
  });
  await mustCreate(s.api, '/upstreams/echo.internal/targets', {
    target: `localhost:${echoes[1].port}`,
    weight: 100,
  });
  await mustCreate(s.api, '/services', { name: 'echo', host: 'echo.internal', port: 80 });
  await mustCreate(s.api, '/services/echo/routes', { name: 'echo', paths: ['/echo'] });
  await s.synced();
  const hosts: string[] = [];
  for (let i = 0; i < 40; i++) {
    const r = await sendThrough(s.dp.proxyUrl, '/echo');
    assert.equal(r.status, 200, r.body);
    hosts.push(r.json.headers.host);
  }
  const first = hosts.filter((h) => h === `127.0.0.1:${echoes[0].port}`).length;
  const second = hosts.filter((h) => h === `localhost:${echoes[1].port}`).length;
  assert.equal(first + second, 40, `Host is the target's: ${[...new Set(hosts)]}`);
  assert.equal(first, 30, 'weights 300:100 give 3 of 4');

  // Marked unhealthy by hand (Kong's PUT …/unhealthy): every data plane stops sending to it.
  const marked = await s.api('PUT', `/upstreams/echo.internal/targets/127.0.0.1:${echoes[0].port}/unhealthy`);
  assert.equal(marked.status, 204, marked.text);
  const hostOf = async () => (await sendThrough(s.dp.proxyUrl, '/echo')).json.headers.host;
  await waitFor('the marked target to be left out', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) seen.add(await hostOf());
    return seen.size === 1 && seen.has(`localhost:${echoes[1].port}`);
  });
  const wrong = await s.api(
    'PUT',
    `/upstreams/echo.internal/targets/127.0.0.1:${echoes[0].port}/10.9.9.9/healthy`,
  );
  assert.equal(wrong.status, 400, 'an address that is not the target’s');
  const back = await s.api('PUT', `/upstreams/echo.internal/targets/127.0.0.1:${echoes[0].port}/healthy`);
  assert.equal(back.status, 204);
  await waitFor(
    'the target back in rotation',
    async () => (await hostOf()) === `127.0.0.1:${echoes[0].port}`,
  );
  assert.equal((await s.api('PUT', '/upstreams/echo.internal/targets/10.0.0.1:1/healthy')).status, 404);
});

test('decK: upstreams with nested targets sync, diff clean and dump back', async () => {
  const { dir, stdout } = await syncCleanly(s, [
    '_format_version: "3.0"',
    '_info: { select_tags: [lb] }',
    'upstreams:',
    '  - name: tools.internal',
    '    algorithm: consistent-hashing',
    '    hash_on: header',
    '    hash_on_header: Mcp-Session-Id',
    '    healthchecks:',
    '      passive:',
    '        unhealthy: { tcp_failures: 1 }',
    '    targets:',
    '      - target: 10.1.0.1:9000',
    '      - target: 10.1.0.2',
    '        weight: 50',
  ]);
  assert.match(stdout, /creating upstream tools\.internal/);
  assert.match(stdout, /creating target 10\.1\.0\.2:8000 for upstream tools\.internal/);
  const dump = await runTollgate(['dump', '--select-tag', 'lb', '-o', join(dir, 'dump.yaml')], {
    env: deckEnv(s),
  });
  assert.equal(dump.code, 0, dump.stderr);
  const text = readFileSync(join(dir, 'dump.yaml'), 'utf8');
  assert.match(text, /upstreams:\n\s+- /);
  assert.match(text, /targets:\n(?:\s+.*\n)*?\s+target: 10\.1\.0\.1:9000/);
  const again = await runTollgate(['diff', join(dir, 'dump.yaml'), '--non-zero-exit-code'], {
    env: deckEnv(s),
  });
  assert.equal(again.code, 0, again.stdout + again.stderr);
});

async function connect(): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${s.dp.proxyUrl}/tools`));
  const client = new Client({ name: 'lb', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

async function echo(client: Client, message: string) {
  const r = await client.callTool({ name: 'echo', arguments: { message } });
  assert.deepEqual(r.content, [{ type: 'text', text: `Echo: ${message}` }]);
}

test('MCP replicas: sessions keep their replica; a killed one is marked down and no call fails after', async () => {
  await mustCreate(s.api, '/upstreams', {
    name: 'mcp-replicas',
    hash_on: 'header',
    hash_on_header: 'Mcp-Session-Id',
    healthchecks: {
      active: {
        type: 'tcp',
        timeout: 1,
        healthy: { interval: 0.5, successes: 1 },
        unhealthy: { interval: 0.5, tcp_failures: 1 },
      },
      passive: { unhealthy: { tcp_failures: 1, timeouts: 1 } },
    },
  });
  for (const r of replicas)
    await mustCreate(s.api, '/upstreams/mcp-replicas/targets', { target: `127.0.0.1:${r.port}` });
  await mustCreate(s.api, '/services', { name: 'tools', host: 'mcp-replicas', path: '/mcp' });
  await mustCreate(s.api, '/services/tools/routes', {
    name: 'tools',
    paths: ['/tools'],
    request_buffering: false,
    response_buffering: false,
  });
  await mustCreate(s.api, '/routes/tools/plugins', {
    name: 'ai-mcp-proxy',
    config: { mode: 'passthrough-listener' },
  });
  await s.synced();

  // Sessions until every replica holds some (the first request of each hashes on nothing).
  const sessions: Awaited<ReturnType<typeof connect>>[] = [];
  const tags = () => new Set(sessions.map((x) => x.transport.sessionId!.split('~t')[1]));
  await waitFor(
    'sessions on every replica',
    async () => {
      sessions.push(await connect());
      return tags().size === 3;
    },
    20000,
  );
  for (const x of sessions) assert.match(x.transport.sessionId!, /^[0-9a-f-]{36}~t[0-9a-f]{8}$/);
  // Each session's calls reach the replica that made it (another would not know the session).
  for (const [i, x] of sessions.entries()) for (let n = 0; n < 3; n++) await echo(x.client, `s${i}-${n}`);

  // One replica dies mid-run; sessions elsewhere never notice.
  const victim = replicas[1];
  const victimTarget = `127.0.0.1:${victim.port}`;
  const victimTag = (await s.api('GET', '/upstreams/mcp-replicas/targets')).body.data.find(
    (t: any) => t.target === victimTarget,
  ).id;
  void victimTag;
  const running = { stop: false, failures: [] as string[], calls: 0 };
  const survivors = sessions.filter((x) => {
    const b = s.dp.holder.current!.balancers.get('mcp-replicas')!;
    const tag = x.transport.sessionId!.split('~t')[1];
    return b.targetByTag(tag)!.key !== victimTarget;
  });
  const loops = survivors.map(async (x, i) => {
    while (!running.stop) {
      try {
        await echo(x.client, `live-${i}-${running.calls++}`);
      } catch (err) {
        running.failures.push(String(err));
      }
    }
  });
  victim.child.kill('SIGKILL');
  const health = await waitFor('the control plane to show the replica down', async () => {
    const h = (await s.api('GET', '/upstreams/mcp-replicas/health')).body;
    const t = h.data.find((d: any) => d.target === victimTarget);
    return t?.health === 'UNHEALTHY' ? h : undefined;
  });
  assert.equal(health.data.filter((d: any) => d.health === 'HEALTHY').length, 2);
  // New sessions from now on: every one lands on a live replica, and no call fails.
  for (let i = 0; i < 6; i++) {
    const x = await connect();
    await echo(x.client, `after-${i}`);
    await x.client.close();
  }
  running.stop = true;
  await Promise.all(loops);
  assert.deepEqual(running.failures, [], 'sessions on live replicas never failed');
  assert.ok(running.calls > survivors.length, `calls ran while the replica died (${running.calls})`);

  // Back where it was: the active checks find it and it serves again.
  replicas[1] = await startServerEverything(victim.port);
  await waitFor('the replica to be healthy again', async () => {
    const h = (await s.api('GET', '/upstreams/mcp-replicas/health')).body;
    return h.data.every((d: any) => d.health === 'HEALTHY');
  });
  for (const x of sessions) await x.client.close().catch(() => undefined);
});
