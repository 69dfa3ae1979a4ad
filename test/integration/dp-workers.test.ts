/**
 * A data plane with TOLLGATE_DP_WORKERS=2, as separate processes: one cluster link, workers on
 * the same config version, a crashed worker replaced with the current config, a config no
 * worker can apply refused by all, analytics from every worker counted exactly once, and one
 * /status and /metrics for the whole data plane.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { adminClient } from '../helpers/http';
import { createTestDatabase, type TestDatabase } from '../helpers/control-plane';
import {
  dpStatus,
  startCpProcess,
  startDpProcess,
  startEchoUpstream,
  waitConverged,
  waitFor,
  type CpProcess,
  type DpProcess,
} from '../helpers/topology';

let db: TestDatabase;
let cp: CpProcess;
let dp: DpProcess;
let api: ReturnType<typeof adminClient>;
let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;

/** One request on its own connection (so the primary hands it to some worker). */
const get = (path: string) =>
  new Promise<number>((resolve, reject) => {
    const u = new URL(dp.proxyUrl + path);
    const req = request(
      { host: u.hostname, port: u.port, path, agent: false, headers: { connection: 'close' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path}: no answer in 10 s`)));
    req.end();
  });

before(async () => {
  db = await createTestDatabase();
  upstream = await startEchoUpstream();
  cp = await startCpProcess({ databaseUrl: db.databaseUrl, dataDir: db.dataDir });
  api = adminClient(cp.adminUrl);
  await api('POST', '/services', { name: 'w', url: upstream.url });
  await api('POST', '/services/w/routes', { name: 'w', paths: ['/w'] });
  dp = await startDpProcess({ cpUrl: cp.clusterUrl, env: { TOLLGATE_DP_WORKERS: '2' } });
  await waitConverged([dp], (await api('GET', '/config')).body.hash);
});

after(async () => {
  await dp?.proc.stop('SIGTERM');
  await cp?.proc.stop('SIGKILL');
  await upstream?.close();
  await db?.drop();
});

const workersOf = async () =>
  (await dpStatus(dp)).workers as { index: number; pid: number; config_version: number }[];

test('two workers, one cluster link, both on the version the data plane reports', async () => {
  const status = await dpStatus(dp);
  assert.equal(status.control_plane.connected, true);
  assert.equal(status.workers.length, 2);
  assert.deepEqual(
    status.workers.map((w: any) => w.config_version),
    [status.configuration_version, status.configuration_version],
  );
  assert.notEqual(status.workers[0].pid, status.workers[1].pid);
  const nodes = (await api('GET', '/clustering/data-planes')).body.data;
  assert.equal(nodes.length, 1, 'one cluster link for the whole data plane');
});

test('a config change reaches every worker; analytics from all of them are counted once', async () => {
  await api('POST', '/services/w/routes', { name: 'w2', paths: ['/w2'] });
  const { hash, version } = (await api('GET', '/config')).body;
  await waitConverged([dp], hash);
  assert.deepEqual(
    (await workersOf()).map((w) => w.config_version),
    [version, version],
  );
  const sent = 40;
  for (let i = 0; i < sent; i++) assert.equal(await get('/w2'), 200);
  const count = async () => {
    const r = await api('POST', '/analytics/query', {
      metrics: ['request_count'],
      dimensions: ['route'],
      time_range: { type: 'relative', time_range: '1h' },
    });
    return (
      r.body.data.find((d: any) => d.event.route === 'w2' || d.event.route_name === 'w2')?.event
        .request_count ?? 0
    );
  };
  await waitFor(`${sent} records`, async () => ((await count()) === sent ? true : undefined), 30_000);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await count(), sent);
  const metrics = await (await fetch(`${dp.statusUrl}/metrics`)).text();
  const served = [...metrics.matchAll(/^tollgate_http_requests_total\{[^}]*route="w2"[^}]*\} (\d+)$/gm)]
    .map((m) => Number(m[1]))
    .reduce((a, b) => a + b, 0);
  assert.equal(served, sent, 'one /metrics summed over the workers');
});

test('a config no worker can apply is refused by all: every worker keeps the last good one', async () => {
  const before = await dpStatus(dp);
  const r = await api('POST', '/routes/w/plugins', {
    name: 'ai-proxy-advanced',
    config: {
      targets: [
        {
          route_type: 'llm/v1/chat',
          auth: { header_name: 'Authorization', header_value: '{vault://env/TOLLGATE_TEST_UNSET_SECRET}' },
          model: { provider: 'openai', name: 'gpt-4o', options: { upstream_url: `${upstream.url}/v1` } },
        },
      ],
    },
  });
  assert.equal(r.status, 201, r.text);
  const status = await waitFor('apply error reported', async () => {
    const s = await dpStatus(dp);
    return s.last_apply_error ? s : undefined;
  });
  assert.match(status.last_apply_error, /TOLLGATE_TEST_UNSET_SECRET/);
  assert.equal(status.configuration_version, before.configuration_version);
  assert.deepEqual(
    status.workers.map((w: any) => w.config_version),
    [before.configuration_version, before.configuration_version],
  );
  assert.equal(await get('/w'), 200);
  await api('DELETE', `/plugins/${r.body.id}`);
  await waitConverged([dp], (await api('GET', '/config')).body.hash);
});

test('a worker that dies is replaced and serves the current config before it takes requests', async () => {
  const [first] = await workersOf();
  const version = (await dpStatus(dp)).configuration_version;
  process.kill(first.pid, 'SIGKILL');
  // A connection handed to the worker as it died is lost with it (as with any crash); once the
  // primary has seen the exit, the other worker takes every connection.
  await waitFor('the primary to see the exit', async () => (await workersOf()).length === 1);
  for (let i = 0; i < 20; i++) assert.equal(await get('/w'), 200, 'the other worker keeps serving');
  // Every request through the replacement window is served (never a 503 "no configuration").
  const replaced = await waitFor('the worker replaced, on the current config', async () => {
    assert.equal(await get('/w'), 200);
    const ws = await workersOf();
    const w = ws.find((x) => x.index === first.index);
    return ws.length === 2 && w && w.pid !== first.pid && w.config_version === version ? w : undefined;
  });
  assert.equal(replaced.config_version, version);
  for (let i = 0; i < 20; i++) assert.equal(await get('/w'), 200);
});
