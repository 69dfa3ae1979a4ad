/**
 * Analytics end to end, as separate processes: records from three data planes reach the
 * control plane's store and the query API returns exactly the scripted calls; killing the
 * control plane or a data plane holding unacknowledged batches loses and duplicates nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../helpers/control-plane';
import { adminClient } from '../helpers/http';
import { runTollgate } from '../helpers/process';
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
import { startGithubMcpFixture, type GithubFixture } from '../fixtures/github-mcp-server';

const TOKEN = 'cluster-secret-token';

describe('analytics across a control plane and three data planes', () => {
  let db: TestDatabase;
  let cp: CpProcess;
  let dps: DpProcess[] = [];
  let nodeIds: string[] = [];
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let github: GithubFixture;
  let api: ReturnType<typeof adminClient>;
  let cpPorts: { adminPort: number; clusterPort: number };

  const query = async (body: unknown) => {
    const r = await api('POST', '/analytics/query', body);
    assert.equal(r.status, 200, r.text);
    return r.body as { data: { event: Record<string, any> }[]; meta: any };
  };
  const countBy = async (dimension: string, filters: unknown[] = []) => {
    const r = await query({
      metrics: ['request_count'],
      dimensions: [dimension],
      filters,
      time_range: { type: 'relative', time_range: '1h' },
    });
    return Object.fromEntries(r.data.map((d) => [String(d.event[dimension]), d.event.request_count]));
  };
  const total = async (service: string) =>
    (await countBy('gateway_service', [{ field: 'gateway_service', operator: 'in', value: [service] }]))[
      service
    ] ?? 0;
  const startCp = () =>
    startCpProcess({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, clusterToken: TOKEN, ...cpPorts });

  before(async () => {
    db = await createTestDatabase();
    upstream = await startEchoUpstream();
    github = await startGithubMcpFixture();
    cp = await startCpProcess({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, clusterToken: TOKEN });
    cpPorts = {
      adminPort: Number(new URL(cp.adminUrl).port),
      clusterPort: Number(new URL(cp.clusterUrl).port),
    };
    api = adminClient(cp.adminUrl);
    dps = await Promise.all(
      [0, 1, 2].map(() => startDpProcess({ cpUrl: cp.clusterUrl, clusterToken: TOKEN })),
    );
    nodeIds = await Promise.all(dps.map(async (d) => (await dpStatus(d)).node_id));

    const create = async (path: string, body: unknown) => {
      const r = await api('POST', path, body);
      assert.equal(r.status, 201, `${path}: ${r.text}`);
    };
    for (const name of ['orders', 'billing', 'steady', 'dpkill']) {
      await create('/services', { name, url: `${upstream.url}/${name}` });
      await create(`/services/${name}/routes`, { name, paths: [`/${name}`] });
    }
    await create('/services', { name: 'github', url: `${github.url}/mcp` });
    await create('/services/github/routes', { name: 'github', paths: ['/github'] });
    await create('/plugins', { name: 'key-auth', config: { anonymous: null } });
    await create('/consumer_groups', { name: 'developer' });
    for (const [user, key] of [
      ['alice', 'alice-key'],
      ['bob', 'bob-key'],
      ['dev-user', 'dev-key'],
    ]) {
      await create('/consumers', { username: user });
      await create(`/consumers/${user}/key-auth`, { key });
    }
    await create('/consumers/dev-user/consumer_groups', { group: 'developer' });
    await create('/routes/github/plugins', {
      name: 'ai-mcp-proxy',
      config: {
        mode: 'passthrough-listener',
        include_consumer_groups: true,
        tools: [
          { name: 'push_files', description: 'Push files', acl: { allow: ['admin'] } },
          { name: 'search_code', description: 'Search code', acl: { allow: ['developer'] } },
          { name: 'search_users', description: 'Search users', acl: { allow: ['developer'] } },
        ],
        logging: { log_statistics: true, log_payloads: true, log_audits: true },
      },
    });
    await waitConverged(dps, (await api('GET', '/config')).body.hash);
  });

  after(async () => {
    await Promise.all(dps.map((d) => d.proc.stop('SIGKILL')));
    await cp?.proc.stop('SIGKILL');
    await upstream?.close();
    await github?.close();
    await db?.drop();
  });

  const call = (dp: DpProcess, path: string, key?: string, init: RequestInit = {}) =>
    fetch(`${dp.proxyUrl}${path}`, {
      ...init,
      headers: { ...(key ? { apikey: key } : {}), ...(init.headers ?? {}) },
    });
  const rpc = (dp: DpProcess, body: unknown) =>
    call(dp, '/github', 'dev-key', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify(body),
    });
  const toolCall = (id: number, name: string) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name, arguments: {} },
  });

  test('a scripted run through three data planes is counted exactly, per service, tool, consumer and node', async () => {
    for (let i = 0; i < 4; i++) assert.equal((await call(dps[0], '/orders/x', 'alice-key')).status, 200);
    assert.equal((await call(dps[0], '/orders/x')).status, 401);
    for (let i = 0; i < 3; i++) assert.equal((await call(dps[1], '/billing/y', 'bob-key')).status, 200);
    for (const body of [
      toolCall(1, 'search_code'),
      toolCall(2, 'search_code'),
      toolCall(3, 'push_files'),
      { jsonrpc: '2.0', id: 4, method: 'tools/list' },
      [toolCall(5, 'search_code'), toolCall(6, 'search_users')],
    ])
      assert.equal((await rpc(dps[2], body)).status, 200);

    await waitFor('all 14 records rolled up', async () => {
      const byService = await countBy('gateway_service');
      return (byService.orders ?? 0) + (byService.billing ?? 0) + (byService.github ?? 0) === 14 || undefined;
    });
    assert.deepEqual(await countBy('gateway_service'), { billing: 3, github: 6, orders: 5 });
    assert.deepEqual(
      await countBy('mcp_tool_name', [{ field: 'gateway_service', operator: 'in', value: ['github'] }]),
      {
        null: 1,
        push_files: 1,
        search_code: 3,
        search_users: 1,
      },
    );
    assert.deepEqual(await countBy('consumer'), { alice: 4, bob: 3, 'dev-user': 6, null: 1 });
    assert.deepEqual(await countBy('data_plane_node'), { [nodeIds[0]]: 5, [nodeIds[1]]: 3, [nodeIds[2]]: 6 });
    assert.deepEqual(
      await countBy('mcp_method', [{ field: 'gateway_service', operator: 'in', value: ['github'] }]),
      {
        'tools/call': 5,
        'tools/list': 1,
      },
    );

    // No rollup keeps consumer × node: answered from the raw records, same counts.
    const mixed = await query({ metrics: ['request_count'], dimensions: ['consumer', 'data_plane_node'] });
    assert.equal(mixed.meta.source.name, 'records');
    const cell = (c: string | null, n: string) =>
      mixed.data.find((d) => d.event.consumer === c && d.event.data_plane_node === n)?.event.request_count;
    assert.equal(cell('alice', nodeIds[0]), 4);
    assert.equal(cell(null, nodeIds[0]), 1);
    assert.equal(cell('dev-user', nodeIds[2]), 6);

    const stats = await query({
      metrics: [
        'request_count',
        'error_rate',
        'response_latency_p50',
        'response_latency_p99',
        'upstream_latency_p95',
      ],
      dimensions: ['gateway_service'],
    });
    const github = stats.data.find((d) => d.event.gateway_service === 'github')!.event;
    assert.equal(github.error_rate, Math.round((100 / 6) * 100) / 100, 'the denied push_files is an error');
    for (const d of stats.data) {
      const e = d.event;
      assert.ok(e.response_latency_p50 > 0 && e.response_latency_p50 < 5000, JSON.stringify(e));
      assert.ok(e.response_latency_p99 >= e.response_latency_p50, JSON.stringify(e));
    }
    const orders = stats.data.find((d) => d.event.gateway_service === 'orders')!.event;
    assert.ok(orders.upstream_latency_p95 > 0);

    // the audit trail: who called which tool
    const trail = await api('GET', '/analytics/requests?tool=push_files');
    assert.equal(trail.status, 200);
    assert.equal(trail.body.data.length, 1);
    const denied = trail.body.data[0];
    assert.equal(denied.consumer_username, 'dev-user');
    assert.equal(denied.jsonrpc_error, -32602);
    assert.equal(denied.detail.audit.allowed, false);
    assert.equal(denied.node_id, nodeIds[2]);
    const paged = await api('GET', '/analytics/requests?service=orders&size=3');
    assert.equal(paged.body.data.length, 3);
    const rest = await api('GET', `/analytics/requests?service=orders&size=3&offset=${paged.body.offset}`);
    assert.equal(rest.body.data.length, 2);
    assert.equal(rest.body.offset, null);

    const cli = await runTollgate(['analytics', '--by', 'tool', '--last', '1h'], {
      env: { TOLLGATE_ADMIN_URL: cp.adminUrl },
    });
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /search_code\s+3\s/);
    assert.match(cli.stdout, /push_files\s+1\s+100\.0/);

    const bad = await api('POST', '/analytics/query', { metrics: ['nope'] });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /unknown metric 'nope'/);
  });

  test('the control plane killed during steady traffic: every record arrives exactly once', async () => {
    let sent = 0;
    let stop = false;
    const traffic = (async () => {
      while (!stop) {
        const r = await call(dps[0], '/steady/z', 'alice-key');
        assert.equal(r.status, 200);
        sent++;
      }
    })();
    await waitFor('some steady records stored', async () =>
      (await total('steady')) > 20 ? true : undefined,
    );
    await cp.proc.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    cp = await startCp();
    api = adminClient(cp.adminUrl);
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await traffic;
    // Rollups of batches in the killed control plane's window are rebuilt from raw records (~60 s).
    await waitFor(
      `${sent} steady records`,
      async () => ((await total('steady')) === sent ? true : undefined),
      120_000,
    );
    await new Promise((r) => setTimeout(r, 1000)); // late duplicates would show up now
    assert.equal(await total('steady'), sent);
  });

  test('a data plane killed while holding unacknowledged batches: every record arrives exactly once', async () => {
    await cp.proc.stop('SIGKILL');
    const dp = dps[1];
    const sent = 60;
    for (let i = 0; i < sent; i++) assert.equal((await call(dp, '/dpkill/w', 'bob-key')).status, 200);
    await waitFor('records sealed into unacknowledged batches', async () => {
      const a = (await dpStatus(dp)).analytics;
      return a.buffered_records === 0 && a.writing_batches === 0 && a.unacked_batches > 0 ? a : undefined;
    });
    await dp.proc.stop('SIGKILL');
    dps[1] = await startDpProcess({
      cpUrl: cp.clusterUrl,
      clusterToken: TOKEN,
      dataDir: dp.env.TOLLGATE_DATA_DIR,
    });
    assert.equal((await dpStatus(dps[1])).node_id, nodeIds[1]);
    cp = await startCp();
    api = adminClient(cp.adminUrl);
    await waitFor(
      `${sent} dpkill records`,
      async () => ((await total('dpkill')) === sent ? true : undefined),
      120_000,
    ).catch((err) => {
      throw new Error(
        `${err.message}\nCP:\n${cp.proc.output().slice(-3000)}\nDP:\n${dps[1].proc.output().slice(-3000)}`,
      );
    });
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await total('dpkill'), sent);
    const byNode = await countBy('data_plane_node', [
      { field: 'gateway_service', operator: 'in', value: ['dpkill'] },
    ]);
    assert.deepEqual(byNode, { [nodeIds[1]]: sent });
    assert.equal((await dpStatus(dps[1])).analytics.dropped_records, 0);
    // By now the compactor has merged the first test's rollup rows: the counts are unchanged.
    const byService = await countBy('gateway_service');
    assert.deepEqual(
      { orders: byService.orders, billing: byService.billing, github: byService.github },
      { orders: 5, billing: 3, github: 6 },
    );
  });
});
