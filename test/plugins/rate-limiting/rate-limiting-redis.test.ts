/**
 * rate-limiting with `policy: redis`, as a fleet runs it: two data-plane processes of two
 * workers each count in one real Redis, so a limit of 10 lets exactly 10 of 40 concurrent
 * requests through, and ai-mcp-rate-limiting's tool-call quota of 5 lets exactly 5 of 20
 * concurrent calls run; Redis killed mid-run lets requests pass (`fault_tolerant: true`, Kong's
 * default) or answers 500 (`false`), and counting resumes when it is back; the config round-trips
 * through a decK file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminClient } from '../../helpers/http';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane';
import {
  startCpProcess,
  startDpProcess,
  startEchoUpstream,
  waitConverged,
  waitFor,
  type CpProcess,
  type DpProcess,
} from '../../helpers/topology';
import { startRedis, type TestRedis } from '../../helpers/redis';
import { runTollgate } from '../../helpers/process';
import { startGithubMcpFixture, type GithubFixture } from '../../fixtures/github-mcp-server';

let db: TestDatabase;
let cp: CpProcess;
const dps: DpProcess[] = [];
let api: ReturnType<typeof adminClient>;
let echo: Awaited<ReturnType<typeof startEchoUpstream>>;
let redis: TestRedis;
let github: GithubFixture;

/** One request on its own connection (the primary hands each to some worker). */
const get = (base: string, path: string, headers: Record<string, string> = {}, body?: string) =>
  new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const u = new URL(base + path);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path,
        method: body === undefined ? 'GET' : 'POST',
        agent: false,
        headers: { connection: 'close', ...headers },
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`${path}: no answer in 10 s`)));
    req.end(body);
  });

const sync = async () => waitConverged(dps, (await api('GET', '/config')).body.hash);

before(async () => {
  redis = await startRedis();
  db = await createTestDatabase();
  echo = await startEchoUpstream();
  cp = await startCpProcess({ databaseUrl: db.databaseUrl, dataDir: db.dataDir });
  api = adminClient(cp.adminUrl);
  await api('POST', '/services', { name: 'svc', url: echo.url });
  for (const [name, faultTolerant] of [
    ['tolerant', true],
    ['strict', false],
  ] as const) {
    await api('POST', '/services/svc/routes', { name, paths: [`/${name}`] });
    const p = await api('POST', `/routes/${name}/plugins`, {
      name: 'rate-limiting',
      config: {
        hour: 10,
        limit_by: 'header',
        header_name: 'x-agent',
        policy: 'redis',
        fault_tolerant: faultTolerant,
        redis: { host: '127.0.0.1', port: redis.port, read_timeout: 500, connect_timeout: 500 },
      },
    });
    assert.equal(p.status, 201, p.text);
  }
  // A tool-call quota in the same Redis: ai-mcp-rate-limiting in front of an MCP server.
  github = await startGithubMcpFixture();
  await api('POST', '/services', { name: 'gh', url: `${github.url}/mcp` });
  await api('POST', '/services/gh/routes', { name: 'quota', paths: ['/quota'] });
  await api('POST', '/routes/quota/plugins', {
    name: 'ai-mcp-proxy',
    config: { mode: 'passthrough-listener' },
  });
  const quota = await api('POST', '/routes/quota/plugins', {
    name: 'ai-mcp-rate-limiting',
    config: {
      limits: [{ tools: ['search_code'], day: 5 }],
      limit_by: 'ip',
      policy: 'redis',
      redis: { host: '127.0.0.1', port: redis.port },
    },
  });
  assert.equal(quota.status, 201, quota.text);
  for (let i = 0; i < 2; i++)
    dps.push(await startDpProcess({ cpUrl: cp.clusterUrl, env: { TOLLGATE_DP_WORKERS: '2' } }));
  await sync();
});

after(async () => {
  for (const dp of dps) await dp.proc.stop('SIGTERM');
  await cp?.proc.stop('SIGKILL');
  await echo?.close();
  await github?.close();
  await redis?.stop();
  await db?.drop();
});

test('Kong refuses what has no store here: cluster counting, Redis Cluster', async () => {
  const cluster = await api('POST', '/plugins', {
    name: 'rate-limiting',
    config: { minute: 1, policy: 'cluster' },
  });
  assert.equal(cluster.status, 400, cluster.text);
  assert.match(JSON.stringify(cluster.body), /policy 'cluster' is not supported/);
  const nodes = await api('POST', '/plugins', {
    name: 'rate-limiting',
    config: { minute: 1, policy: 'redis', redis: { cluster_nodes: [{ ip: '127.0.0.1', port: 7000 }] } },
  });
  assert.equal(nodes.status, 400, nodes.text);
});

test('two data planes of two workers hold one limit exactly, under concurrency', async () => {
  const agent = `agent-${Date.now()}`;
  for (;;) {
    const hour = new Date().getUTCHours();
    const all = await Promise.all(
      Array.from({ length: 40 }, (_, i) => get(dps[i % 2].proxyUrl, '/tolerant', { 'x-agent': agent })),
    );
    // A run that straddles the hour counts in two windows: run it again in the new one.
    if (new Date().getUTCHours() !== hour) continue;
    const passed = all.filter((r) => r.status === 200);
    assert.equal(passed.length, 10, all.map((r) => r.status).join(' '));
    assert.equal(all.filter((r) => r.status === 429).length, 30);
    const refused = all.find((r) => r.status === 429)!;
    assert.equal(JSON.parse(refused.body).message, 'API rate limit exceeded');
    assert.equal(refused.headers['x-ratelimit-remaining-hour'], '0');
    assert.ok(Number(refused.headers['retry-after']) > 0);
    const remaining = passed
      .map((r) => Number(r.headers['x-ratelimit-remaining-hour']))
      .sort((a, b) => a - b);
    assert.deepEqual(
      remaining,
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      'every passing request saw its own count: one counter',
    );
    break;
  }
  const other = await get(dps[0].proxyUrl, '/tolerant', { 'x-agent': `${agent}-other` });
  assert.equal(other.status, 200, 'another identifier has its own counter');
});

test('a tool-call quota holds exactly across data planes and workers: 5 of 20 concurrent calls run', async () => {
  const call = (id: number) =>
    JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'search_code', arguments: { query: 'kong' } },
    });
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2025-11-25',
  };
  const before = github.calls.filter((c) => c.tool === 'search_code').length;
  const day = new Date().getUTCDate();
  const all = await Promise.all(
    Array.from({ length: 20 }, (_, i) => get(dps[i % 2].proxyUrl, '/quota', headers, call(i + 1))),
  );
  if (new Date().getUTCDate() !== day) return; // a run across midnight counts in two windows
  const results = all.map((r) => {
    assert.equal(r.status, 200, r.body);
    const data = /^data: (.*)$/m.exec(r.body)?.[1] ?? r.body;
    return JSON.parse(data).result;
  });
  assert.equal(results.filter((r) => r.isError === true).length, 15, JSON.stringify(results.slice(0, 3)));
  assert.equal(github.calls.filter((c) => c.tool === 'search_code').length - before, 5, 'the upstream ran 5');
});

test('Redis down: fault_tolerant passes requests without headers, or answers 500; back, it counts again', async () => {
  const agent = `down-${Date.now()}`;
  await redis.stop();
  await waitFor('requests to pass while Redis is down', async () => {
    const r = await get(dps[0].proxyUrl, '/tolerant', { 'x-agent': agent });
    return r.status === 200 && r.headers['x-ratelimit-limit-hour'] === undefined;
  });
  const strict = await get(dps[1].proxyUrl, '/strict', { 'x-agent': agent });
  assert.equal(strict.status, 500);
  assert.equal(JSON.parse(strict.body).message, 'An unexpected error occurred');
  const metrics = await (await fetch(`${dps[1].statusUrl}/metrics`)).text();
  assert.match(metrics, /tollgate_rate_limiting_redis_errors_total\S* [1-9]/);

  await redis.start();
  await waitFor(
    'counting again',
    async () => {
      const r = await get(dps[1].proxyUrl, '/strict', { 'x-agent': agent });
      return r.status === 200 && r.headers['x-ratelimit-limit-hour'] === '10';
    },
    20_000,
  );
});

test('a decK file with the redis policy syncs, diffs clean and dumps back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-rl-deck-'));
  const env = { TOLLGATE_ADMIN_URL: cp.adminUrl, TOLLGATE_ADMIN_TOKEN: undefined };
  const file = join(dir, 'kong.yaml');
  writeFileSync(
    file,
    [
      '_format_version: "3.0"',
      '_info: { select_tags: [rl-deck] }',
      'services:',
      '  - name: rl-deck',
      `    url: ${echo.url}`,
      '    routes:',
      '      - name: rl-deck',
      '        paths: [/rl-deck]',
      '        plugins:',
      '          - name: rate-limiting',
      '            config:',
      '              minute: 5',
      '              limit_by: ip',
      '              policy: redis',
      '              fault_tolerant: false',
      '              sync_rate: -1',
      '              redis:',
      '                host: 127.0.0.1',
      `                port: ${redis.port}`,
      '                database: 2',
      '',
    ].join('\n'),
  );
  const synced = await runTollgate(['sync', file], { env });
  assert.equal(synced.code, 0, synced.stderr);
  const diff = await runTollgate(['diff', file, '--non-zero-exit-code'], { env });
  assert.equal(diff.code, 0, diff.stdout + diff.stderr);
  const dumped = join(dir, 'dump.yaml');
  const dump = await runTollgate(['dump', '--select-tag', 'rl-deck', '-o', dumped], { env });
  assert.equal(dump.code, 0, dump.stderr);
  const text = readFileSync(dumped, 'utf8');
  assert.match(text, /policy: redis/);
  assert.match(text, new RegExp(`port: ${redis.port}`));
  const again = await runTollgate(['diff', dumped, '--non-zero-exit-code'], { env });
  assert.equal(again.code, 0, again.stdout + again.stderr);

  // And it counts in that Redis database, through the data planes.
  await sync();
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) statuses.push((await get(dps[i % 2].proxyUrl, '/rl-deck')).status);
  const minuteChanged = statuses.filter((st) => st === 200).length > 5;
  if (!minuteChanged) assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
});
