/**
 * Plugins' migrations (control-plane/plugins/plugin-migrations.ts): after the core's, each once,
 * recorded per plugin; a failing one names its plugin and leaves nothing behind. And the
 * upgrade they exist for: a database from before 2026-12-07, where the core's `mcp_tools` held
 * mcp-tool-pinning's decisions, starts with them moved into the plugin's own table.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../control-plane/database/data-source';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../control-plane/database/embedded-postgres';
import { runPluginMigrations } from '../../control-plane/plugins/plugin-migrations';
import { startControlPlane } from '../../control-plane/main';
import { createTestDatabase, type TestDatabase } from '../helpers/control-plane';
import { adminClient } from '../helpers/http';

let db: TestDatabase;
let embedded: EmbeddedPostgres | undefined;
let source: DataSource;
const routeId = randomUUID();

/** The core's migrations only: a database as an earlier release left it. */
async function openCore(): Promise<DataSource> {
  if (!db.databaseUrl) embedded = await startEmbeddedPostgres(db.dataDir);
  return new DataSource(dataSourceOptions(db.databaseUrl, embedded)).initialize();
}

async function closeCore() {
  await source.destroy();
  await embedded?.stop();
  embedded = undefined;
}

before(async () => {
  db = await createTestDatabase();
  source = await openCore();
});
after(async () => {
  if (source.isInitialized) await closeCore();
  await db?.drop();
});

test('each migration once, in order, recorded per plugin; a failing one is named and leaves nothing', async () => {
  const ran: string[] = [];
  const plugin = (name: string, ...steps: string[]) => ({
    name,
    migrations: steps.map((step) => ({
      name: step,
      async up(q: any) {
        ran.push(`${name}/${step}`);
        await q.query(`CREATE TABLE ${name.replace(/-/g, '_')}_${step} (id int)`);
      },
    })),
  });
  const plugins = [plugin('alpha', '001', '002'), plugin('beta', '001')];
  assert.deepEqual(await runPluginMigrations(source, plugins), ['alpha/001', 'alpha/002', 'beta/001']);
  assert.deepEqual(await runPluginMigrations(source, plugins), [], 'nothing twice');
  assert.deepEqual(ran, ['alpha/001', 'alpha/002', 'beta/001']);

  const failing = {
    name: 'gamma',
    migrations: [
      {
        name: '001',
        async up(q: any) {
          await q.query('CREATE TABLE gamma_half (id int)');
          await q.query('SELECT no_such_function()');
        },
      },
    ],
  };
  await assert.rejects(runPluginMigrations(source, [failing]), /plugin gamma: migration 001 failed/);
  const recorded = await source.query(`SELECT name FROM plugin_migrations WHERE plugin = 'gamma'`);
  assert.deepEqual(recorded, []);
  const half = await source.query(`SELECT to_regclass('gamma_half') AS t`);
  assert.equal(half[0].t, null, 'the failed migration was rolled back');
  for (const t of ['alpha_001', 'alpha_002', 'beta_001']) await source.query(`DROP TABLE ${t}`);
  await source.query(`DELETE FROM plugin_migrations`);
});

test("an earlier release's database: pinning's decisions move to the plugin's table, key-auth's table is kept", async () => {
  // As releases before 2026-12-07 left it: the decisions on the core's mcp_tools, key-auth's table
  // created by the core.
  await source.query(`CREATE TABLE IF NOT EXISTS keyauth_credentials (
    id uuid PRIMARY KEY, created_at bigint NOT NULL, updated_at bigint NOT NULL, tags text[], doc jsonb NOT NULL,
    key text NOT NULL CONSTRAINT keyauth_credentials_key_unique UNIQUE,
    consumer_id uuid NOT NULL REFERENCES consumers (id) ON DELETE CASCADE)`);
  const now = Date.now();
  const definition = { name: 'search', description: 'Search', inputSchema: { type: 'object' } };
  await source.query(
    `INSERT INTO mcp_tools (route_id, tool, fingerprint, first_seen, last_seen, approved_by, approved_at)
     VALUES ($1, 'search', 'sha256:old', $2, $2, 'admin', $2)`,
    [routeId, now],
  );
  await source.query(
    `INSERT INTO mcp_tool_versions (route_id, tool, fingerprint, definition, first_seen, last_seen)
     VALUES ($1, 'search', 'sha256:old', $2, $3, $3)`,
    [routeId, JSON.stringify(definition), now],
  );
  // key-auth and basic-auth instances stored with the WebSocket protocols earlier releases offered.
  const wsPlugins = { 'key-auth': ['http', 'ws', 'wss'], 'basic-auth': ['ws'] };
  const pluginIds: Record<string, string> = {};
  for (const [name, protocols] of Object.entries(wsPlugins)) {
    const id = randomUUID();
    pluginIds[name] = id;
    const doc = { id, name, protocols, enabled: true, config: {}, created_at: 1, updated_at: 1, tags: null };
    await source.query(
      `INSERT INTO plugins (id, created_at, updated_at, tags, doc, name, cache_key) VALUES ($1, 1, 1, NULL, $2, $3, $4)`,
      [id, JSON.stringify(doc), name, `plugins:${name}::::`],
    );
  }
  await closeCore();

  const cp = await startControlPlane({
    adminListen: { host: '127.0.0.1', port: 0 },
    clusterListen: { host: '127.0.0.1', port: 0 },
    databaseUrl: db.databaseUrl,
    dataDir: db.dataDir,
  });
  try {
    const api = adminClient(cp.adminUrl);
    const svc = await api('POST', '/services', { name: 'up', url: 'http://127.0.0.1:9/mcp' });
    assert.equal(svc.status, 201);
    const route = await api('POST', '/services/up/routes', {
      id: routeId,
      name: 'old-route',
      paths: ['/old'],
    });
    assert.equal(route.status, 201, JSON.stringify(route.body));
    const tool = await api('GET', '/mcp/routes/old-route/tools/search');
    assert.equal(tool.status, 200, JSON.stringify(tool.body));
    assert.equal(tool.body.upstream.approved_by, 'admin');
    assert.equal(tool.body.upstream.approved_at, now);
    // key-auth's table works as before (its migration found it and was recorded).
    await api('POST', '/consumers', { username: 'dev' });
    assert.equal((await api('POST', '/consumers/dev/key-auth', { key: 'k-1' })).status, 201);
    // Their protocols are Kong's now, and an update of them validates.
    const keyAuth = await api('GET', `/plugins/${pluginIds['key-auth']}`);
    assert.deepEqual(keyAuth.body.protocols, ['http'], JSON.stringify(keyAuth.body));
    const basic = await api('PATCH', `/plugins/${pluginIds['basic-auth']}`, { enabled: false });
    assert.equal(basic.status, 200, JSON.stringify(basic.body));
    assert.deepEqual(basic.body.protocols, ['grpc', 'grpcs', 'http', 'https']);
  } finally {
    await cp.close();
  }
  source = await openCore();
  const applied = (
    await source.query('SELECT plugin, name FROM plugin_migrations ORDER BY plugin, name')
  ).map((r: any) => `${r.plugin}/${r.name}`);
  assert.deepEqual(applied, [
    'acl/000_base_acl',
    'basic-auth/001_no_websocket_protocols',
    'hmac-auth/000_base_hmac_auth',
    'jwt/000_base_jwt',
    'key-auth/000_base_key_auth',
    'key-auth/001_no_websocket_protocols',
    'mcp-tool-pinning/001_tool_decisions',
  ]);
  const columns = await source.query(
    `SELECT column_name FROM information_schema.columns WHERE table_name = 'mcp_tools' AND column_name = 'approved_by'`,
  );
  assert.deepEqual(columns, [], 'the core table no longer holds the decisions');
});
