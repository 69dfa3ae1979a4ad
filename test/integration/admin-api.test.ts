import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestControlPlane, type TestControlPlane } from '../helpers/control-plane';
import { adminClient } from '../helpers/http';

let t: TestControlPlane;
let api: ReturnType<typeof adminClient>;

async function version(): Promise<number> {
  return (await api('GET', '/config')).body.version;
}

before(async () => {
  t = await startTestControlPlane();
  api = adminClient(t.url);
});
after(async () => t?.close());

describe('node endpoints', () => {
  test('GET / describes the node; GET /status reports the database', async () => {
    const root = await api('GET', '/');
    assert.equal(root.status, 200);
    assert.equal(root.body.tagline, 'Welcome to tollgate');
    assert.ok(root.body.plugins.available_on_server['ai-mcp-proxy']);
    const status = await api('GET', '/status');
    assert.equal(status.status, 200);
    assert.deepEqual(status.body.database, { reachable: true });
  });
});

describe('services', () => {
  test('create, read by id and name, patch, put, delete', async () => {
    const created = await api('POST', '/services', { name: 'svc-crud', host: 'example.com' });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('content-type'), 'application/json; charset=utf-8');
    const s = created.body;
    assert.match(s.id, /^[0-9a-f-]{36}$/);
    assert.equal(s.protocol, 'http');
    assert.equal(s.port, 80);
    assert.equal(s.retries, 5);
    assert.equal(s.connect_timeout, 60000);
    assert.equal(s.enabled, true);
    assert.equal(s.path, null);
    assert.equal(typeof s.created_at, 'number');

    assert.deepEqual((await api('GET', `/services/${s.id}`)).body, s);
    assert.deepEqual((await api('GET', '/services/svc-crud')).body, s);

    const patched = await api('PATCH', '/services/svc-crud', { retries: 2, path: '/v1' });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.retries, 2);
    assert.equal(patched.body.path, '/v1');
    assert.equal(patched.body.host, 'example.com');
    assert.equal(patched.body.created_at, s.created_at);

    // PUT replaces: fields not given return to their defaults.
    const put = await api('PUT', '/services/svc-crud', { host: 'other.example.com' });
    assert.equal(put.status, 200);
    assert.equal(put.body.id, s.id);
    assert.equal(put.body.retries, 5);
    assert.equal(put.body.path, null);
    assert.equal(put.body.name, 'svc-crud');

    assert.equal((await api('DELETE', '/services/svc-crud')).status, 204);
    const gone = await api('GET', `/services/${s.id}`);
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.body, { message: 'Not found' });
    assert.equal((await api('DELETE', '/services/svc-crud')).status, 204);
  });

  test('PUT creates when absent, by name or by id', async () => {
    const byName = await api('PUT', '/services/svc-put', { host: 'a.example.com' });
    assert.equal(byName.status, 200);
    assert.equal(byName.body.name, 'svc-put');
    const id = randomUUID();
    const byId = await api('PUT', `/services/${id}`, { host: 'b.example.com' });
    assert.equal(byId.status, 200);
    assert.equal(byId.body.id, id);
  });

  test('the url shorthand expands to protocol, host, port and path', async () => {
    const r = await api('POST', '/services', { name: 'svc-url', url: 'https://api.example.com/mcp' });
    assert.equal(r.status, 201);
    assert.equal(r.body.protocol, 'https');
    assert.equal(r.body.host, 'api.example.com');
    assert.equal(r.body.port, 443);
    assert.equal(r.body.path, '/mcp');
    assert.equal(r.body.url, undefined);
    const slash = await api('POST', '/services', { name: 'svc-url2', url: 'http://httpbin.example.com/' });
    assert.equal(slash.body.path, '/');
    assert.equal(slash.body.port, 80);
  });

  test('form-urlencoded bodies are accepted and coerced', async () => {
    const r = await api(
      'POST',
      '/services',
      { name: 'svc-form', host: 'f.example.com', port: '8080', retries: '3' },
      { form: true },
    );
    assert.equal(r.status, 201);
    assert.equal(r.body.port, 8080);
    assert.equal(r.body.retries, 3);
  });
});

describe('errors', () => {
  test('schema violation: exact body', async () => {
    const r = await api('POST', '/services', { name: 'bad' });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, {
      code: 2,
      name: 'schema violation',
      message: 'schema violation (host: required field missing)',
      fields: { host: 'required field missing' },
    });
    const many = await api('POST', '/services', { host: 'x.example.com', port: 'eighty', bogus: true });
    assert.deepEqual(many.body, {
      code: 2,
      name: 'schema violation',
      message: '2 schema violations (bogus: unknown field; port: expected an integer)',
      fields: { bogus: 'unknown field', port: 'expected an integer' },
    });
    const name = await api('POST', '/services', { name: 'bad name!', host: 'x.example.com' });
    assert.deepEqual(name.body.fields, {
      name: "invalid value 'bad name!': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
    });
  });

  test('unique violation: 409 with Kong body', async () => {
    assert.equal((await api('POST', '/services', { name: 'dup', host: 'x.example.com' })).status, 201);
    const r = await api('POST', '/services', { name: 'dup', host: 'y.example.com' });
    assert.equal(r.status, 409);
    assert.deepEqual(r.body, {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{name="dup"}'`,
      fields: { name: 'dup' },
    });
  });

  test('foreign key violation: code 4', async () => {
    const id = randomUUID();
    const r = await api('POST', '/routes', { name: 'orphan', paths: ['/x'], service: { id } });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, {
      code: 4,
      name: 'foreign key violation',
      message: `the foreign key '{id="${id}"}' does not reference an existing 'services' entity.`,
      fields: { service: { id } },
    });
  });

  test('unparsable JSON, unknown paths, wrong methods', async () => {
    const bad = await api('POST', '/services', undefined, { raw: '{"name": ' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, { message: 'Cannot parse JSON body' });
    const proto = await api('POST', '/services', undefined, { raw: '{"__proto__": {"x": 1}, "host": "h"}' });
    assert.equal(proto.status, 400);
    const nf = await api('GET', '/nothing-here');
    assert.equal(nf.status, 404);
    assert.deepEqual(nf.body, { message: 'Not found' });
    const m = await api('PATCH', '/services');
    assert.equal(m.status, 405);
    assert.deepEqual(m.body, { message: 'Method not allowed' });
    assert.equal((await api('POST', '/services/some-name')).status, 405);
  });

  test('invalid size, offset and tags', async () => {
    assert.deepEqual((await api('GET', '/services?size=abc')).body, {
      code: 9,
      name: 'invalid size',
      message: 'size must be a number',
    });
    assert.deepEqual((await api('GET', '/services?size=5000')).body, {
      code: 9,
      name: 'invalid size',
      message: 'size must be an integer between 1 and 1000',
    });
    const off = await api('GET', '/services?offset=%%%');
    assert.equal(off.status, 400);
    assert.equal(off.body.code, 7);
    const mixed = await api('GET', '/services?tags=a,b/c');
    assert.equal(mixed.status, 400);
    assert.equal(mixed.body.code, 11);
  });
});

describe('routes and nesting', () => {
  test('nested create, list, item scoping and /routes/{r}/service', async () => {
    const svc = (await api('POST', '/services', { name: 'svc-nest', host: 'n.example.com' })).body;
    const other = (await api('POST', '/services', { name: 'svc-other', host: 'o.example.com' })).body;
    const r = await api('POST', '/services/svc-nest/routes', { name: 'r-nest', paths: ['/nest'] });
    assert.equal(r.status, 201);
    assert.deepEqual(r.body.service, { id: svc.id });
    assert.deepEqual(r.body.protocols, ['http', 'https']);
    assert.equal(r.body.strip_path, true);
    assert.equal(r.body.preserve_host, false);
    assert.equal(r.body.path_handling, 'v0');
    assert.equal(r.body.https_redirect_status_code, 426);
    const list = await api('GET', `/services/${svc.id}/routes`);
    assert.deepEqual(
      list.body.data.map((x: any) => x.name),
      ['r-nest'],
    );
    assert.equal(list.body.next, null);
    assert.equal((await api('GET', '/services/svc-nest/routes/r-nest')).status, 200);
    assert.equal((await api('GET', '/services/svc-other/routes/r-nest')).status, 404);
    assert.equal((await api('GET', `/services/${other.id}/routes`)).body.data.length, 0);
    assert.equal((await api('GET', '/routes/r-nest/service')).body.id, svc.id);
    assert.equal((await api('GET', '/services/nope/routes')).status, 404);
    // top-level creation may reference the service by name
    const byName = await api('POST', '/routes', {
      name: 'r-byname',
      paths: ['/byname'],
      service: { name: 'svc-nest' },
    });
    assert.equal(byName.status, 201);
    assert.deepEqual(byName.body.service, { id: svc.id });
  });

  test('route entity checks', async () => {
    const r = await api('POST', '/routes', { name: 'no-matcher' });
    assert.deepEqual(r.body, {
      code: 2,
      name: 'schema violation',
      message:
        "schema violation (must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http')",
      fields: {
        '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"],
      },
    });
    const p = await api('POST', '/routes', { paths: ['/ok', 'bad'] });
    assert.deepEqual(p.body.fields, {
      paths: [null, 'should start with: / (fixed path) or ~/ (regex path)'],
    });
  });
});

describe('consumers, credentials and groups', () => {
  test('consumers need a username or custom_id', async () => {
    const r = await api('POST', '/consumers', {});
    assert.deepEqual(r.body, {
      code: 2,
      name: 'schema violation',
      message: "schema violation (at least one of these fields must be non-empty: 'custom_id', 'username')",
      fields: { '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"] },
    });
    const c = await api('POST', '/consumers', { custom_id: 'cid-1' });
    assert.equal(c.status, 201);
    assert.equal(c.body.username, null);
  });

  test('key-auth credentials: generated keys, lookups, uniqueness', async () => {
    const alex = (await api('POST', '/consumers', { username: 'alex' })).body;
    const gen = await api('POST', '/consumers/alex/key-auth', {});
    assert.equal(gen.status, 201);
    assert.match(gen.body.key, /^[0-9a-f]{32}$/);
    assert.deepEqual(gen.body.consumer, { id: alex.id });
    const fixed = await api('POST', '/consumers/alex/key-auth', { key: 'hello_world' });
    assert.equal(fixed.status, 201);
    assert.equal((await api('GET', '/key-auths/hello_world')).body.id, fixed.body.id);
    assert.equal((await api('GET', '/key-auths/hello_world/consumer')).body.username, 'alex');
    assert.equal((await api('GET', '/consumers/alex/key-auth')).body.data.length, 2);
    const dup = await api('POST', '/consumers/alex/key-auth', { key: 'hello_world' });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.message, `UNIQUE violation detected on '{key="hello_world"}'`);
    assert.ok((await api('GET', '/key-auths')).body.data.some((k: any) => k.key === 'hello_world'));
  });

  test('group membership from both sides', async () => {
    await api('POST', '/consumer_groups', { name: 'admin' });
    await api('POST', '/consumer_groups', { name: 'developer' });
    await api('POST', '/consumers', { username: 'dev-1' });
    await api('POST', '/consumers', { username: 'dev-2' });
    const add = await api('POST', '/consumer_groups/developer/consumers', { consumer: ['dev-1', 'dev-2'] });
    assert.equal(add.status, 201);
    assert.equal(add.body.consumer_group.name, 'developer');
    assert.deepEqual(
      add.body.consumers.map((c: any) => c.username),
      ['dev-1', 'dev-2'],
    );
    const again = await api('POST', '/consumer_groups/developer/consumers', { consumer: 'dev-1' });
    assert.equal(again.status, 409);
    const viaConsumer = await api(
      'POST',
      '/consumers/dev-1/consumer_groups',
      { group: 'admin' },
      { form: true },
    );
    assert.equal(viaConsumer.status, 201);
    assert.deepEqual(
      (await api('GET', '/consumers/dev-1/consumer_groups')).body.data.map((g: any) => g.name),
      ['admin', 'developer'],
    );
    const group = await api('GET', '/consumer_groups/developer');
    assert.equal(group.body.name, 'developer');
    assert.equal(group.body.consumer_group.name, 'developer');
    assert.equal(group.body.consumers.length, 2);
    assert.equal((await api('DELETE', '/consumer_groups/developer/consumers/dev-2')).status, 204);
    assert.deepEqual(
      (await api('GET', '/consumer_groups/developer/consumers')).body.data.map((c: any) => c.username),
      ['dev-1'],
    );
    assert.equal((await api('DELETE', '/consumers/dev-1/consumer_groups/admin')).status, 204);
    assert.equal((await api('GET', '/consumers/dev-1/consumer_groups/admin')).status, 404);
  });
});

describe('plugins', () => {
  test('every scope, defaults, nested listing', async () => {
    await api('POST', '/services', { name: 'svc-pl', host: 'p.example.com' });
    await api('POST', '/services/svc-pl/routes', { name: 'r-pl', paths: ['/pl'] });
    await api('POST', '/consumers', { username: 'pl-user' });
    await api('POST', '/consumer_groups', { name: 'pl-group' });
    const global = await api('POST', '/plugins', { name: 'cors', instance_name: 'global-cors' });
    assert.equal(global.status, 201);
    assert.deepEqual(global.body.config.methods, [
      'GET',
      'HEAD',
      'PUT',
      'PATCH',
      'POST',
      'DELETE',
      'OPTIONS',
      'TRACE',
      'CONNECT',
    ]);
    assert.deepEqual(global.body.protocols, ['grpc', 'grpcs', 'http', 'https']);
    const onService = await api('POST', '/services/svc-pl/plugins', { name: 'key-auth' });
    assert.equal(onService.status, 201);
    assert.deepEqual(onService.body.config.key_names, ['apikey']);
    const onRoute = await api('POST', '/routes/r-pl/plugins', {
      name: 'request-transformer-advanced',
      config: { add: { headers: ['x-a:1'] } },
    });
    assert.equal(onRoute.status, 201);
    assert.deepEqual(onRoute.body.config.remove, { headers: [], querystring: [], body: [] });
    const onConsumer = await api('POST', '/consumers/pl-user/plugins', {
      name: 'request-transformer-advanced',
    });
    assert.equal(onConsumer.status, 201);
    const onGroup = await api('POST', '/consumer_groups/pl-group/plugins', {
      name: 'response-transformer-advanced',
    });
    assert.equal(onGroup.status, 201);
    assert.equal((await api('GET', '/services/svc-pl/plugins')).body.data.length, 1);
    assert.equal(
      (await api('GET', '/routes/r-pl/plugins')).body.data[0].name,
      'request-transformer-advanced',
    );
    assert.equal((await api('GET', '/consumer_groups/pl-group/plugins')).body.data.length, 1);
    assert.equal((await api('GET', '/plugins/global-cors')).body.id, global.body.id);
    // PATCH merges config
    const patched = await api('PATCH', `/plugins/${onService.body.id}`, {
      config: { hide_credentials: true },
    });
    assert.equal(patched.body.config.hide_credentials, true);
    assert.deepEqual(patched.body.config.key_names, ['apikey']);
  });

  test('plugin errors: unknown name, bad scope, duplicate scope, nested config paths', async () => {
    const unknown = await api('POST', '/plugins', { name: 'no-such-plugin' });
    assert.deepEqual(unknown.body, {
      code: 2,
      name: 'schema violation',
      message:
        "schema violation (name: plugin 'no-such-plugin' not enabled; add it to the 'plugins' configuration property)",
      fields: { name: "plugin 'no-such-plugin' not enabled; add it to the 'plugins' configuration property" },
    });
    const scope = await api('POST', '/consumers/pl-user/plugins', { name: 'key-auth' });
    assert.deepEqual(scope.body.fields, { consumer: 'value must be null' });
    const dup = await api('POST', '/services/svc-pl/plugins', { name: 'key-auth' });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.code, 5);
    const tools = [1, 2, 3].map((i) => ({ name: `t${i}`, description: 'd' }));
    const nested = await api('POST', '/plugins', {
      name: 'ai-mcp-proxy',
      config: {
        mode: 'passthrough-listener',
        tools: [...tools, { name: 't4', description: 'd', acl: { allow: 'admin' } }],
      },
    });
    assert.equal(nested.status, 400);
    assert.equal(nested.body.message, 'schema violation (config.tools.4.acl.allow: expected an array)');
    assert.deepEqual(nested.body.fields, {
      config: { tools: [null, null, null, { acl: { allow: 'expected an array' } }] },
    });
    const mode = await api('POST', '/plugins', { name: 'ai-mcp-proxy', config: {} });
    assert.deepEqual(mode.body.fields, { config: { mode: 'required field missing' } });
  });

  test('header entries Node could not send are refused at write time', async () => {
    const r = await api('POST', '/plugins', {
      name: 'response-transformer-advanced',
      config: { add: { headers: ['X-Ok:1', 'X-Note:\u2713'] } },
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.fields.config.add.headers[0], null);
    assert.match(r.body.fields.config.add.headers[1], /invalid header entry/);
  });

  test('vault references are stored as written', async () => {
    const r = await api('POST', '/plugins', {
      name: 'ai-mcp-oauth2',
      instance_name: 'vault-ref',
      config: {
        resource: 'https://localhost:8443/x',
        authorization_servers: ['https://idp.example.com'],
        client_secret: '{vault://env/IDP_SECRET}',
      },
    });
    assert.equal(r.status, 201);
    assert.equal(r.body.config.client_secret, '{vault://env/IDP_SECRET}');
  });

  test('schemas are served', async () => {
    const p = await api('GET', '/schemas/plugins/ai-mcp-proxy');
    assert.equal(p.status, 200);
    const config = p.body.fields.find((f: any) => f.config).config;
    assert.ok(config.fields.some((f: any) => f.default_acl));
    assert.equal((await api('GET', '/schemas/plugins/nope')).status, 404);
    assert.ok((await api('GET', '/schemas/services')).body.fields.some((f: any) => f.host));
    const v = await api('POST', '/schemas/plugins/validate', {
      name: 'key-auth',
      config: { key_names: [1] },
    });
    assert.equal(v.status, 400);
    assert.deepEqual(v.body.fields, { config: { key_names: ['expected a string'] } });
  });
});

describe('listing', () => {
  test('pagination walks every entity exactly once', async () => {
    for (let i = 0; i < 25; i++) await api('POST', '/consumers', { username: `page-${i}`, tags: ['paging'] });
    const seen: string[] = [];
    let next: string | null = '/consumers?size=10&tags=paging';
    let pages = 0;
    while (next) {
      const r = await api('GET', next);
      assert.equal(r.status, 200);
      seen.push(...r.body.data.map((c: any) => c.username));
      if (r.body.next) assert.ok(r.body.offset);
      next = r.body.next;
      pages++;
    }
    assert.equal(pages, 3);
    assert.equal(seen.length, 25);
    assert.equal(new Set(seen).size, 25);
  });

  test('tags: comma is AND, slash is OR', async () => {
    await api('POST', '/consumers', { username: 'tag-a', tags: ['team-a', 'prod'] });
    await api('POST', '/consumers', { username: 'tag-b', tags: ['team-b', 'prod'] });
    await api('POST', '/consumers', { username: 'tag-c', tags: ['team-a'] });
    const names = async (q: string) =>
      (await api('GET', `/consumers?tags=${q}`)).body.data.map((c: any) => c.username).sort();
    assert.deepEqual(await names('team-a,prod'), ['tag-a']);
    assert.deepEqual(await names('team-a/team-b'), ['tag-a', 'tag-b', 'tag-c']);
    assert.deepEqual(await names('prod'), ['tag-a', 'tag-b']);
  });
});

describe('cascades', () => {
  test('deleting a consumer removes its credentials, memberships and plugins', async () => {
    await api('POST', '/consumers', { username: 'gone' });
    await api('POST', '/consumer_groups', { name: 'cascade-group' });
    await api('POST', '/consumers/gone/key-auth', { key: 'gone-key' });
    await api('POST', '/consumer_groups/cascade-group/consumers', { consumer: 'gone' });
    const plugin = (await api('POST', '/consumers/gone/plugins', { name: 'request-transformer-advanced' }))
      .body;
    assert.equal((await api('DELETE', '/consumers/gone')).status, 204);
    assert.equal((await api('GET', '/key-auths/gone-key')).status, 404);
    assert.equal((await api('GET', `/plugins/${plugin.id}`)).status, 404);
    assert.equal((await api('GET', '/consumer_groups/cascade-group/consumers')).body.data.length, 0);
  });

  test('a service with routes cannot be deleted; routes and services take their plugins along', async () => {
    await api('POST', '/services', { name: 'svc-cascade', host: 'c.example.com' });
    await api('POST', '/services/svc-cascade/routes', { name: 'r-cascade', paths: ['/c'] });
    const sp = (await api('POST', '/services/svc-cascade/plugins', { name: 'cors' })).body;
    const rp = (await api('POST', '/routes/r-cascade/plugins', { name: 'cors' })).body;
    const refused = await api('DELETE', '/services/svc-cascade');
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body, {
      code: 4,
      name: 'foreign key violation',
      message: "an existing 'routes' entity references this 'services' entity",
      fields: { '@referenced_by': 'routes' },
    });
    assert.equal((await api('DELETE', '/routes/r-cascade')).status, 204);
    assert.equal((await api('GET', `/plugins/${rp.id}`)).status, 404);
    assert.equal((await api('GET', `/plugins/${sp.id}`)).status, 200);
    assert.equal((await api('DELETE', '/services/svc-cascade')).status, 204);
    assert.equal((await api('GET', `/plugins/${sp.id}`)).status, 404);
  });

  test('deleting a consumer group removes memberships and its plugins', async () => {
    await api('POST', '/consumer_groups', { name: 'doomed' });
    await api('POST', '/consumers', { username: 'member' });
    await api('POST', '/consumer_groups/doomed/consumers', { consumer: 'member' });
    const gp = (
      await api('POST', '/consumer_groups/doomed/plugins', { name: 'request-transformer-advanced' })
    ).body;
    assert.equal((await api('DELETE', '/consumer_groups/doomed')).status, 204);
    assert.equal((await api('GET', `/plugins/${gp.id}`)).status, 404);
    assert.equal((await api('GET', '/consumers/member/consumer_groups')).body.data.length, 0);
    assert.equal((await api('GET', '/consumers/member')).status, 200);
  });
});

describe('consistency', () => {
  test('20 concurrent POSTs of one name: one 201, nineteen 409, one row', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => api('POST', '/services', { name: 'racy', host: 'r.example.com' })),
    );
    const codes = results.map((r) => r.status).sort();
    assert.deepEqual(codes, [201, ...Array(19).fill(409)]);
    for (const r of results.filter((x) => x.status === 409)) assert.equal(r.body.code, 5);
    const rows = await t.cp.app
      .get((await import('typeorm')).DataSource)
      .query("SELECT count(*)::int AS n FROM services WHERE name = 'racy'");
    assert.equal(rows[0].n, 1);
  });

  test('every write bumps the version once; reads and failed writes do not', async () => {
    const v0 = await version();
    await api('POST', '/consumers', { username: 'v-1' });
    assert.equal(await version(), v0 + 1);
    await api('GET', '/consumers');
    await api('POST', '/consumers', { username: 'v-1' }); // 409
    await api('POST', '/consumers', {}); // 400
    assert.equal(await version(), v0 + 1);
    const a = await api('GET', '/config');
    const b = await api('GET', '/config');
    assert.equal(a.body.hash, b.body.hash);
    assert.match(a.body.hash, /^[0-9a-f]{64}$/);
    await api('PATCH', '/consumers/v-1', { tags: ['x'] });
    const c = await api('GET', '/config');
    assert.equal(c.body.version, v0 + 2);
    assert.notEqual(c.body.hash, a.body.hash);
  });

  test('a failed multi-row write leaves no trace and no version bump', async () => {
    await api('POST', '/consumer_groups', { name: 'atomic' });
    await api('POST', '/consumers', { username: 'atomic-1' });
    const before = await api('GET', '/config');
    const r = await api('POST', '/consumer_groups/atomic/consumers', {
      consumer: ['atomic-1', 'no-such-consumer'],
    });
    assert.equal(r.status, 404);
    assert.equal((await api('GET', '/consumer_groups/atomic/consumers')).body.data.length, 0);
    const plugin = (await api('POST', '/plugins', { name: 'key-auth', instance_name: 'atomic-ka' })).body;
    const mid = await api('GET', '/config');
    const bad = await api('PUT', '/plugins/atomic-ka', {
      name: 'key-auth',
      config: { key_names: ['ok', 'bad name'] },
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.fields, {
      config: {
        key_names: [null, "bad header name 'bad name', allowed characters are A-Z, a-z, 0-9, '_', and '-'"],
      },
    });
    assert.deepEqual((await api('GET', '/plugins/atomic-ka')).body, plugin);
    const after = await api('GET', '/config');
    assert.equal(mid.body.version, before.body.version + 1);
    assert.equal(after.body.version, mid.body.version);
    assert.equal(after.body.hash, mid.body.hash);
  });
});
