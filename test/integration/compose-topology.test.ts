/**
 * docker-compose.yml's topology as OS processes (no Docker engine here): the control plane and
 * the three data planes start with the environment the compose file gives them (listeners moved
 * to free loopback ports, service names to 127.0.0.1), on a real Postgres. The seed's GitHub MCP
 * flow runs through each data plane, and analytics attribute the traffic to each node.
 */
import { after, before, test } from 'node:test';
import { diagnostic } from '../helpers/diagnostic';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { connectMcp, listAllTools, postJsonRpc } from '../helpers/mcp';
import { adminClient } from '../helpers/http';
import { createScratchDatabase } from '../helpers/control-plane';
import { freePort, runTollgate, spawnTollgate, type Spawned } from '../helpers/process';
import { SEED_ENV, seedPointedAt } from '../helpers/seed';
import { dpStatus, waitConverged, waitFor } from '../helpers/topology';
import {
  ALL_TOOLS,
  READ_TOOLS,
  startGithubMcpFixture,
  type GithubFixture,
} from '../fixtures/github-mcp-server';

const ROOT = join(__dirname, '..', '..', '..');
const SECRETS = {
  TOLLGATE_ADMIN_TOKEN: 'compose-admin-token',
  TOLLGATE_CLUSTER_TOKEN: 'compose-cluster-token',
};
const PG = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const USER_TOKEN = 'ghu_compose_user';

/** `${X:?msg}` / `${X:-default}` / `${X}` as compose substitutes them. */
function substitute(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::([?-])([^}]*))?\}/g, (_m, name, op, arg) => {
    if (name in vars) return vars[name];
    if (op === '-') return arg;
    throw new Error(`compose needs ${name}: ${arg}`);
  });
}

interface Node {
  name: string;
  proc: Spawned;
  env: Record<string, string>;
  url: (variable: string) => string;
}

let db: { url?: string; drop(): Promise<void> };
let cp: Node;
const dps: Node[] = [];
let fixture: GithubFixture;

/** Start one compose service as a process: its command and environment, made local. */
async function startService(name: string, svc: any, clusterUrl?: string): Promise<Node> {
  const env: Record<string, string> = {};
  const ports: Record<string, number> = {};
  for (const [k, v] of Object.entries(svc.environment ?? {})) {
    let value = substitute(String(v), SECRETS);
    if (k.endsWith('_LISTEN') && value !== 'off') {
      ports[k] = await freePort();
      value = `127.0.0.1:${ports[k]}`;
    }
    if (k === 'DATABASE_URL') {
      if (!db.url) continue; // no Postgres server here: the control plane's embedded one
      value = db.url;
    }
    if (k === 'TOLLGATE_CP_URL') value = clusterUrl!;
    if (k === 'TOLLGATE_DATA_DIR') value = mkdtempSync(join(tmpdir(), `compose-${name}-`));
    env[k] = value;
  }
  env.TOLLGATE_DATA_DIR ??= mkdtempSync(join(tmpdir(), `compose-${name}-`));
  const proc = spawnTollgate(svc.command, { ...env, DATABASE_URL: env.DATABASE_URL });
  await proc.waitFor(svc.command[0] === 'control-plane' ? /cluster listener on/ : /proxy listening on/);
  return { name, proc, env, url: (variable) => `127.0.0.1:${ports[variable]}` };
}

before(async () => {
  const compose = YAML.parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
  db = await createScratchDatabase(PG).catch((err) => {
    // A machine without a Postgres server still runs the whole topology, on the control plane's
    // embedded database (the same migrations and driver), and says so.
    if (!/ECONNREFUSED|ENOENT|ECONNRESET/.test(String(err?.code ?? err?.message ?? err))) throw err;
    diagnostic(`no Postgres server at ${PG}: the control plane runs on its embedded database`);
    return { url: undefined, drop: async () => undefined };
  });
  fixture = await startGithubMcpFixture({ token: USER_TOKEN });
  const services = Object.entries(compose.services as Record<string, any>);
  const [cpName, cpSvc] = services.find(([, s]) => s.command?.[0] === 'control-plane')!;
  cp = await startService(cpName, cpSvc);
  const clusterUrl = `ws://${cp.url('TOLLGATE_CLUSTER_LISTEN')}`;
  for (const [name, svc] of services.filter(([, s]) => s.command?.[0] === 'data-plane'))
    dps.push(await startService(name, svc, clusterUrl));

  const file = join(mkdtempSync(join(tmpdir(), 'compose-seed-')), 'kong.yaml');
  writeFileSync(file, seedPointedAt(fixture.url));
  const sync = await runTollgate(['sync', file], {
    env: { TOLLGATE_ADMIN_URL: `http://${cp.url('TOLLGATE_ADMIN_LISTEN')}`, ...SECRETS, ...SEED_ENV },
  });
  assert.equal(sync.code, 0, sync.stderr);
  const api = adminClient(`http://${cp.url('TOLLGATE_ADMIN_LISTEN')}`, SECRETS.TOLLGATE_ADMIN_TOKEN);
  await waitConverged(
    dps.map((d) => ({ statusUrl: `http://${d.url('TOLLGATE_STATUS_LISTEN')}` })),
    (await api('GET', '/config')).body.hash,
  );
});

after(async () => {
  await Promise.all(dps.map((d) => d.proc.stop('SIGKILL')));
  await cp?.proc.stop('SIGKILL');
  await fixture?.close();
  await db?.drop();
});

async function listTools(base: string, apikey: string): Promise<string[]> {
  const client = await connectMcp(`${base}/github-mcp`, { apikey, authorization: `Bearer ${USER_TOKEN}` });
  const names = await listAllTools(client);
  await client.close();
  return names.sort();
}

test('the seed GitHub MCP flow through each data plane, attributed to each node by analytics', async () => {
  const nodeIds: string[] = [];
  for (const dp of dps) {
    const base = `http://${dp.url('TOLLGATE_PROXY_LISTEN')}`;
    nodeIds.push((await dpStatus({ statusUrl: `http://${dp.url('TOLLGATE_STATUS_LISTEN')}` })).node_id);
    const challenge = await fetch(`${base}/github-mcp`, { method: 'POST', body: '{}' });
    assert.equal(challenge.status, 401, dp.name);
    assert.match(challenge.headers.get('www-authenticate')!, /resource_metadata="https:\/\/localhost:8443\//);
    const prm: any = await (await fetch(`${base}/.well-known/oauth-protected-resource/github-mcp`)).json();
    assert.equal(prm.resource, 'https://localhost:8443/github-mcp');
    assert.deepEqual(await listTools(base, 'dev-api-key'), [...READ_TOOLS].sort(), dp.name);
    assert.deepEqual(await listTools(base, 'admin-api-key'), [...ALL_TOOLS].sort(), dp.name);
    const denied: any = await (
      await postJsonRpc(
        `${base}/github-mcp`,
        { apikey: 'dev-api-key', authorization: `Bearer ${USER_TOKEN}` },
        { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'push_files' } },
      )
    ).json();
    assert.equal(denied.error.code, -32602);
  }
  assert.ok(!fixture.calls.some((c) => c.tool === 'push_files'));
  assert.equal(new Set(nodeIds).size, 3);

  const api = adminClient(`http://${cp.url('TOLLGATE_ADMIN_LISTEN')}`, SECRETS.TOLLGATE_ADMIN_TOKEN);
  const perNode = async () => {
    const r = await api('POST', '/analytics/query', {
      metrics: ['request_count'],
      dimensions: ['data_plane_node', 'mcp_method'],
      filters: [{ field: 'gateway_service', operator: 'in', value: ['github-mcp-service'] }],
    });
    assert.equal(r.status, 200, r.text);
    return r.body.data.map((d: any) => d.event);
  };
  // Each DP served the same flow: the same per-method counts on each node.
  // A data plane's workers send their batches on their own: wait until every node's records
  // of the flow (the last one is the denial; the tools/list pages) have all arrived.
  const rows = await waitFor('analytics from all three nodes', async () => {
    const events = await perNode();
    const complete = nodeIds.every((id) => {
      const mine = events.filter((e: any) => e.data_plane_node === id);
      const count = (m: string) => mine.find((e: any) => e.mcp_method === m)?.request_count ?? 0;
      return count('tools/call') >= 1 && count('initialize') >= 2 && count('tools/list') >= 4;
    });
    return complete ? events : undefined;
  });
  for (const id of nodeIds) {
    const mine = rows.filter((e: any) => e.data_plane_node === id);
    const counts = Object.fromEntries(mine.map((e: any) => [e.mcp_method ?? '(none)', e.request_count]));
    assert.equal(counts['tools/call'], 1, JSON.stringify(counts));
    assert.equal(counts['initialize'], 2, JSON.stringify(counts));
    assert.ok(counts['tools/list'] >= 4, JSON.stringify(counts));
  }
  const first = JSON.stringify(
    rows
      .filter((e: any) => e.data_plane_node === nodeIds[0])
      .map((e: any) => [e.mcp_method, e.request_count]),
  );
  for (const id of nodeIds.slice(1))
    assert.equal(
      JSON.stringify(
        rows.filter((e: any) => e.data_plane_node === id).map((e: any) => [e.mcp_method, e.request_count]),
      ),
      first,
    );
});
