/**
 * The boundary around the gateway itself: the cluster listener, the files it keeps, and an
 * audit trail that keeps flowing whatever clients put in it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { adminClient } from '../helpers/http';
import { freePort, runTollgate, spawnTollgate } from '../helpers/process';
import { startTestControlPlane } from '../helpers/control-plane';
import { mustCreate, startStack } from '../helpers/stack';
import { waitFor } from '../helpers/topology';
import { startLenientMcpFixture } from '../fixtures/lenient-mcp-server';
import { sampleRecord } from '../helpers/analytics-record';
import { DataSource } from 'typeorm';

/** The HTTP status a cluster-listener upgrade gets (101 when it is accepted). */
function upgradeStatus(clusterUrl: string, token?: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${clusterUrl}/v1/outlet?node_id=${randomUUID()}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    ws.on('upgrade', () => {
      resolve(101);
      ws.close();
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => undefined);
  });
}

test('with an Admin API token, the cluster listener needs a token too', async () => {
  const t = await startTestControlPlane({ adminToken: 'admin-secret' });
  try {
    assert.equal(await upgradeStatus(t.cp.clusterUrl), 401);
    assert.equal(await upgradeStatus(t.cp.clusterUrl, 'wrong'), 401);
    assert.equal(await upgradeStatus(t.cp.clusterUrl, 'admin-secret'), 101);
  } finally {
    await t.close();
  }
  const c = await startTestControlPlane({ adminToken: 'admin-secret', clusterToken: 'cluster-secret' });
  try {
    assert.equal(await upgradeStatus(c.cp.clusterUrl), 401);
    assert.equal(await upgradeStatus(c.cp.clusterUrl, 'admin-secret'), 401);
    assert.equal(await upgradeStatus(c.cp.clusterUrl, 'cluster-secret'), 101);
  } finally {
    await c.close();
  }
});

function walk(dir: string, out: { path: string; mode: number; dir: boolean }[] = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    out.push({ path: p, mode: st.mode & 0o777, dir: st.isDirectory() });
    if (st.isDirectory()) walk(p, out);
  }
  return out;
}

test('`tollgate start`: owner-only files whatever the umask; its cluster listener takes no token-less client', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-modes-'));
  const clusterPort = await freePort();
  const adminPort = await freePort();
  const proxyPort = await freePort();
  const env = {
    TOLLGATE_DATA_DIR: dataDir,
    TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
    TOLLGATE_CLUSTER_LISTEN: `127.0.0.1:${clusterPort}`,
    TOLLGATE_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
    TOLLGATE_PROXY_SSL_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_CP_URL: undefined,
    TOLLGATE_CLUSTER_TOKEN: undefined,
    DATABASE_URL: undefined,
  };
  const old = process.umask(0o000);
  const p = spawnTollgate(['start'], env);
  process.umask(old);
  try {
    await p.waitFor(/data plane \S+: proxy listening on/);
    const api = adminClient(`http://127.0.0.1:${adminPort}`);
    await mustCreate(api, '/services', { name: 'svc', url: 'http://127.0.0.1:9/' });
    await mustCreate(api, '/services/svc/routes', { name: 'r', paths: ['/r'] });
    // its own data plane applied it (with the generated token) and spooled a record
    await waitFor(
      'the route on the bundled data plane',
      async () => (await fetch(`http://127.0.0.1:${proxyPort}/r`)).status === 502,
    );
    assert.equal(await upgradeStatus(`ws://127.0.0.1:${clusterPort}`), 401);
    await waitFor('an analytics batch on disk or acknowledged', async () =>
      walk(dataDir).some((f) => f.path.includes('analytics')),
    );
    const files = walk(dataDir);
    assert.ok(
      files.some((f) => f.path.endsWith('tls.key') || f.path.endsWith('.key')),
      files.map((f) => f.path).join('\n'),
    );
    assert.ok(files.some((f) => f.path.includes('pgdata')));
    const loose = files.filter((f) => (f.dir ? f.mode !== 0o700 : (f.mode & 0o077) !== 0));
    assert.deepEqual(
      loose.map((f) => `${f.path} ${f.mode.toString(8)}`),
      [],
      'files or folders others can read',
    );
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  } finally {
    await p.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('analytics keep flowing after poison: odd content is stored, unstorable records are dead-lettered', async () => {
  const upstream = await startLenientMcpFixture();
  const s = await startStack();
  try {
    await mustCreate(s.api, '/services', { name: 'mcp', url: `${upstream.url}/mcp` });
    await mustCreate(s.api, '/services/mcp/routes', { name: 'mcp', paths: ['/mcp'] });
    await mustCreate(s.api, '/routes/mcp/plugins', {
      name: 'ai-mcp-proxy',
      config: { mode: 'passthrough-listener', logging: { log_statistics: true, log_payloads: true } },
    });
    await s.synced();
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${s.dp.proxyUrl}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body,
      });
    const session = `s-${'x'.repeat(300)}`;
    const acked = () => s.dp.analytics.stats().acked_batches;
    const ackedBefore = acked();
    // poison through the gateway: a 300-character session id, NUL, an escape sequence, a huge name
    await post('{"jsonrpc":"2.0","id":1,"method":"ping"}', { 'mcp-session-id': session });
    await post('{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"nul\\u0000tool"}}');
    await post('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"\\u001b[2Jwipe"}}');
    await post(`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"${'n'.repeat(5000)}"}}`);
    await post('{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"lone\\ud800"}}');
    // values beyond a column's range are capped; a record the database still refuses (here: a
    // constraint added for the test) is dead-lettered while the rest of its batch is stored
    await s.cp.cp.app
      .get(DataSource)
      .query("ALTER TABLE analytics_records ADD CONSTRAINT test_unstorable CHECK (path <> '/unstorable')");
    const base = sampleRecord({
      node_id: s.dp.nodeId,
      service_name: null,
      http_method: 'POST',
      path: '/direct',
      mcp_method: 'ping',
      request_size: 1,
      response_size: 1,
      detail: { 'k\u0000': 'v\ud800' },
    });
    s.dp.analytics.record([
      { ...base, request_id: 'huge-size', request_size: 1e30, jsonrpc_error: 1e12 },
      { ...base, request_id: 'unstorable', path: '/unstorable' },
      { ...base, request_id: 'good-after-poison' },
    ]);
    // and traffic after it all
    await post('{"jsonrpc":"2.0","id":6,"method":"ping"}', { 'mcp-session-id': 'after-poison' });
    const find = async (q: string) => (await s.api('GET', `/analytics/requests?${q}`)).body.data ?? [];
    await waitFor(
      'records after the poison stored',
      async () => (await find('size=1000')).some((r: any) => r.mcp_session_id === 'after-poison'),
      20000,
    );
    await waitFor(
      'the good record of the poisoned batch',
      async () => (await find('size=1000')).some((r: any) => r.request_id === 'good-after-poison'),
      20000,
    );
    assert.ok(acked() > ackedBefore, 'acknowledged batches grew');
    assert.equal(s.dp.analytics.stats().unacked_batches, 0);
    const rows: any[] = await find('size=1000');
    const long = rows.find((r) => String(r.mcp_session_id ?? '').startsWith('s-xxx'));
    assert.ok(long && long.mcp_session_id.length <= 255, 'the long session id is kept, cut');
    assert.ok(
      rows.some((r) => r.tool === 'nul\\u0000tool'),
      'NUL escaped, record kept',
    );
    assert.ok(
      rows.some((r) => String(r.tool ?? '').startsWith('nnnn')),
      'the huge tool name is kept, cut',
    );
    const good = rows.find((r) => r.request_id === 'good-after-poison');
    assert.deepEqual(good.detail, { 'k\\u0000': 'v\\ud800' });
    assert.ok(
      rows.some((r) => r.request_id === 'huge-size'),
      'out-of-range numbers are capped, not a reason to drop',
    );
    assert.ok(!rows.some((r) => r.request_id === 'unstorable'));
    const status = (await s.api('GET', '/status')).body;
    assert.ok(status.analytics.dead_letter_records >= 1, JSON.stringify(status.analytics));
    // the terminal never gets the escape sequence a client chose (rollups trail by seconds)
    let cli = { code: 0 as number | null, stdout: '', stderr: '' };
    await waitFor(
      'the tool table with the escape-sequence tool',
      async () => {
        cli = await runTollgate(['analytics', '--by', 'tool', '--last', '1h'], {
          env: { TOLLGATE_ADMIN_URL: s.cp.url, TOLLGATE_ADMIN_TOKEN: undefined },
        });
        return cli.stdout.includes('wipe');
      },
      20000,
    );
    assert.equal(cli.code, 0, cli.stderr);
    assert.ok(!cli.stdout.includes('\u001b'), 'raw escape sequence printed');
    assert.match(cli.stdout, /\\x1b\[2Jwipe/);
  } finally {
    await s.close();
    await upstream.close();
  }
});
