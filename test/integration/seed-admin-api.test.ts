import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestControlPlane, type TestControlPlane } from '../helpers/control-plane';
import { adminClient } from '../helpers/http';
import { loadSeed, SEED_ENV } from '../helpers/seed';

let t: TestControlPlane;
let api: ReturnType<typeof adminClient>;

before(async () => {
  t = await startTestControlPlane();
  api = adminClient(t.url);
});
after(async () => t?.close());

async function ok(method: string, path: string, body: unknown) {
  const r = await api(method, path, body);
  assert.ok(r.status === 201 || r.status === 200, `${method} ${path}: ${r.status} ${r.text}`);
  return r.body;
}

test('every entity of the seed decK file is created through the Admin API as written', async () => {
  const seed = loadSeed();
  for (const g of seed.consumer_groups) await ok('POST', '/consumer_groups', g);
  for (const c of seed.consumers) {
    const { keyauth_credentials, groups, ...consumer } = c;
    await ok('POST', '/consumers', consumer);
    for (const k of keyauth_credentials) await ok('POST', `/consumers/${c.username}/key-auth`, k);
    for (const g of groups) await ok('POST', `/consumers/${c.username}/consumer_groups`, { group: g.name });
  }
  for (const s of seed.services) {
    const { routes, ...service } = s;
    await ok('POST', '/services', service);
    for (const r of routes) {
      const { plugins, ...route } = r;
      await ok('POST', `/services/${s.name}/routes`, route);
      for (const p of plugins) await ok('POST', `/routes/${r.name}/plugins`, p);
    }
  }

  const snap = (await api('GET', '/config')).body;
  const { config } = snap;
  assert.equal(config.services.length, 3);
  assert.equal(config.routes.length, 3);
  assert.equal(config.plugins.length, 9);
  assert.equal(config.consumers.length, 2);
  assert.equal(config.keyauth_credentials.length, 2);
  assert.equal(config.consumer_group_consumers.length, 2);

  const byName = (list: any[], key: string, name: string) => list.find((e) => e[key] === name);
  const github = byName(config.services, 'name', 'github-mcp-service');
  assert.deepEqual(
    {
      host: github.host,
      port: github.port,
      protocol: github.protocol,
      path: github.path,
      retries: github.retries,
    },
    { host: 'api.githubcopilot.com', port: 443, protocol: 'https', path: '/mcp', retries: 5 },
  );
  const konnect = byName(config.services, 'name', 'konnect-mcp-service');
  assert.equal(konnect.host, SEED_ENV.DECK_KONNECT_MCP_HOST);

  const route = byName(config.routes, 'name', 'github-mcp');
  assert.equal(route.request_buffering, false);
  assert.equal(route.response_buffering, false);
  assert.equal(route.strip_path, true);
  assert.equal(route.regex_priority, 0); // default filled
  const prm = byName(config.routes, 'name', 'github-mcp-prm');
  assert.deepEqual(prm.methods, ['GET', 'POST']);

  const plugin = (instance: string) => byName(config.plugins, 'instance_name', instance);
  const datakit = plugin('github-mcp-prm-challenge');
  assert.deepEqual(datakit.ordering, { before: { access: ['ai-mcp-proxy', 'key-auth'] }, after: null });
  assert.equal(datakit.config.nodes.length, 4);
  assert.equal(datakit.config.nodes[3].status, 401);
  assert.equal(datakit.config.debug, false); // default filled
  assert.match(
    datakit.config.nodes[2].values['www-authenticate'],
    /^Bearer resource_metadata="https:\/\/localhost:8443/,
  );

  const keyAuth = plugin('github-mcp-key-auth');
  assert.deepEqual(keyAuth.config.key_names, ['apikey']);
  assert.equal(keyAuth.config.hide_credentials, true);
  assert.equal(keyAuth.config.key_in_query, true); // default filled
  assert.deepEqual(keyAuth.tags, ['secure-external-mcp-gateway-recipe']);

  const acl = plugin('github-mcp-listener');
  assert.equal(acl.config.mode, 'passthrough-listener');
  assert.deepEqual(acl.config.default_acl, [{ deny: ['developer'], scope: 'tools', allow: null }]);
  assert.equal(acl.config.tools.length, 11);
  assert.deepEqual(acl.config.tools.find((x: any) => x.name === 'push_files').acl, {
    allow: ['admin'],
    deny: null,
  });
  assert.equal(acl.config.logging.log_audits, false); // default filled
  assert.equal(acl.config.max_request_body_size, 1048576);

  const oauth = plugin('konnect-mcp-oauth2');
  assert.equal(oauth.config.introspection_endpoint, SEED_ENV.DECK_OAUTH_INTROSPECTION_URL);
  assert.deepEqual(oauth.config.consumer_by, ['username', 'custom_id']);
  assert.equal(oauth.config.passthrough_credentials, false);
  assert.equal(oauth.config.jwks_cache_ttl, 3600); // default filled

  const swap = plugin('konnect-mcp-token-swap');
  assert.deepEqual(swap.config.add.headers, [`Authorization:Bearer ${SEED_ENV.DECK_KONNECT_MCP_TOKEN}`]);

  const rewrite = plugin('github-mcp-prm-rewrite');
  assert.deepEqual(rewrite.config.replace.json, ['resource:https://localhost:8443/github-mcp']);
  assert.deepEqual(rewrite.config.replace.json_types, ['string']);

  const cors = plugin('github-mcp-cors');
  assert.deepEqual(cors.config.origins, ['*']);
  assert.equal(cors.config.allow_origin_absent, true); // default filled

  // consumer ↔ group mapping
  const dev = byName(config.consumers, 'username', 'dev-user');
  const developer = byName(config.consumer_groups, 'name', 'developer');
  assert.ok(
    config.consumer_group_consumers.some(
      (m: any) => m.consumer.id === dev.id && m.consumer_group.id === developer.id,
    ),
  );
  assert.equal(byName(config.keyauth_credentials, 'key', 'dev-api-key').consumer.id, dev.id);
});
