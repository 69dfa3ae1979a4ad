/**
 * What Kong's own clients (Kong Manager, decK, Kong's UI packages) read from the Admin API, in
 * Kong's format: CORS and preflights (cases from Kong's spec/02-integration/04-admin_api
 * CORS tests), `GET /`, `/schemas/*`, schema-violation messages, query filters and `/tags`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestControlPlane, type TestControlPlane } from '../helpers/control-plane';
import { adminClient } from '../helpers/http';
import { loadSeed } from '../helpers/seed';
import { AdminOrigins } from '../../control-plane/admin/admin-cors';
import { PLUGIN_LIST } from '../../shared/plugins/registry';
import { ENTITY_LIST } from '../../shared/entities';

let t: TestControlPlane;
let api: ReturnType<typeof adminClient>;

before(async () => {
  t = await startTestControlPlane();
  api = adminClient(t.url);
});
after(async () => t?.close());

async function raw(base: string, method: string, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, { method, headers });
  await res.arrayBuffer();
  return res;
}

describe('CORS, as Kong answers it', () => {
  test('preflights: 204 with the path’s methods, requested headers or Content-Type', async () => {
    let r = await raw(t.url, 'OPTIONS', '/');
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('allow'), 'GET, HEAD, OPTIONS');
    assert.equal(r.headers.get('access-control-allow-methods'), 'GET, HEAD, OPTIONS');
    r = await raw(t.url, 'OPTIONS', '/routes');
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('allow'), 'GET, HEAD, OPTIONS, POST');
    r = await raw(t.url, 'OPTIONS', '/routes/test');
    assert.equal(r.headers.get('allow'), 'DELETE, GET, HEAD, OPTIONS, PATCH, PUT');
    assert.equal(r.headers.get('access-control-allow-methods'), 'DELETE, GET, HEAD, OPTIONS, PATCH, PUT');
    r = await raw(t.url, 'OPTIONS', '/consumers/alice/key-auth');
    assert.equal(r.headers.get('allow'), 'GET, HEAD, OPTIONS, POST');
    assert.equal(r.headers.get('access-control-allow-headers'), 'Content-Type');
    r = await raw(t.url, 'OPTIONS', '/', { 'Access-Control-Request-Headers': 'X-Header-1,X-Header-2' });
    assert.equal(r.headers.get('access-control-allow-headers'), 'X-Header-1,X-Header-2');
    assert.equal((await raw(t.url, 'OPTIONS', '/no/such/path')).status, 404);
  });

  test('no Origin is ever echoed: a page of another origin is refused (403) before anything runs', async () => {
    for (const method of ['OPTIONS', 'GET', 'POST', 'DELETE'])
      for (const origin of ['http://example.com', 'null', 'http://127.0.0.1:1', 'http://localhost:8001']) {
        const r = await fetch(t.url + '/consumers', {
          method,
          headers: { Origin: origin, 'content-type': 'application/json' },
          body: method === 'POST' ? '{"username":"planted"}' : undefined,
        });
        const text = await r.text();
        assert.equal(r.status, 403, `${method} ${origin}`);
        assert.equal(r.headers.get('access-control-allow-origin'), null);
        assert.match(JSON.parse(text).message, /^Forbidden: origin/);
      }
    assert.equal((await api('GET', '/consumers/planted')).status, 404);
    // Without Origin (curl, decK): no CORS headers at all.
    const r = await raw(t.url, 'GET', '/');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('access-control-allow-origin'), null);
  });

  test('TOLLGATE_ADMIN_GUI_URL allows its origins (scheme, host and port only), each echoed alone', async () => {
    const gui = await startTestControlPlane({
      adminGuiUrl: 'http://admin.api:9100/path/to/any/way,https://manager.example.com',
    });
    try {
      for (const origin of ['http://admin.api:9100', 'https://manager.example.com']) {
        for (const method of ['OPTIONS', 'GET']) {
          const r = await raw(gui.url, method, '/', { Origin: origin });
          assert.equal(r.headers.get('access-control-allow-origin'), origin);
          assert.equal(r.headers.get('access-control-allow-credentials'), 'true');
          assert.equal(r.headers.get('vary'), 'Origin');
        }
      }
      for (const origin of ['http://admin.api:9101', 'http://admin.api:9100/path', 'https://admin.api:9100'])
        assert.equal((await raw(gui.url, 'GET', '/', { Origin: origin })).status, 403, origin);
      // A main request does not answer preflight questions.
      const r = await raw(gui.url, 'GET', '/', {
        Origin: 'http://admin.api:9100',
        'Access-Control-Request-Method': 'PATCH',
        'Access-Control-Request-Headers': 'X-Header-1,X-Header-2',
      });
      assert.equal(r.headers.get('access-control-allow-methods'), null);
      assert.equal(r.headers.get('access-control-allow-headers'), null);
    } finally {
      await gui.close();
    }
  });

  test('the origin checks: configured, the console at any loopback name, nothing else', () => {
    const o = new AdminOrigins('https://ui.example.com:8445/x');
    assert.deepEqual(o.configuredOrigins, ['https://ui.example.com:8445']);
    assert.ok(o.allows('https://ui.example.com:8445'));
    assert.ok(!o.allows('http://127.0.0.1:8002'), 'no console yet');
    o.setConsole(8002, '127.0.0.1', ['console.internal']);
    for (const ok of [
      'http://127.0.0.1:8002',
      'http://localhost:8002',
      'http://[::1]:8002',
      'http://console.internal:8002',
    ])
      assert.ok(o.allows(ok), ok);
    for (const no of [
      'http://127.0.0.1:8003',
      'https://127.0.0.1:8002',
      'http://evil.example:8002',
      'null',
      'http://127.0.0.1:8002/',
    ])
      assert.ok(!o.allows(no), no);
  });

  test('with an admin token: preflights pass without it, everything else needs it, 401s carry CORS', async () => {
    const guarded = await startTestControlPlane({
      adminToken: 'cors-secret-token',
      adminGuiUrl: 'http://ui.test',
    });
    try {
      const pre = await raw(guarded.url, 'OPTIONS', '/services', {
        Origin: 'http://ui.test',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization',
      });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-headers'), 'authorization');
      const denied = await raw(guarded.url, 'GET', '/services', { Origin: 'http://ui.test' });
      assert.equal(denied.status, 401);
      assert.equal(denied.headers.get('access-control-allow-origin'), 'http://ui.test');
      const ok = await raw(guarded.url, 'GET', '/services', {
        Origin: 'http://ui.test',
        Authorization: 'Bearer cors-secret-token',
      });
      assert.equal(ok.status, 200);
    } finally {
      await guarded.close();
    }
  });
});

describe('GET /', () => {
  test("Kong's node information: edition, version, node, timers, pids, plugins, configuration", async () => {
    const { body } = await api('GET', '/');
    assert.equal(body.edition, 'community');
    assert.match(body.version, /^3\.\d+\.\d+$/);
    assert.match(body.tollgate_version, /^\d+\.\d+\.\d+/);
    assert.match(body.node_id, /^[0-9a-f-]{36}$/);
    assert.equal(typeof body.hostname, 'string');
    assert.equal(typeof body.lua_version, 'string');
    assert.deepEqual(Object.keys(body.timers).sort(), ['pending', 'running']);
    assert.equal(typeof body.pids.master, 'number');
    assert.ok(Array.isArray(body.pids.workers));
    for (const p of PLUGIN_LIST)
      assert.deepEqual(body.plugins.available_on_server[p.name], {
        version: p.version,
        priority: p.priority,
      });
    assert.ok(Array.isArray(body.plugins.enabled_in_cluster));
    const c = body.configuration;
    assert.equal(c.role, 'control_plane');
    assert.equal(c.database, 'postgres');
    assert.ok(Array.isArray(c.proxy_listeners));
    assert.ok(Array.isArray(c.admin_gui_listeners));
    assert.equal(c.admin_listeners[0].ip, '127.0.0.1');
    assert.equal(typeof c.admin_listeners[0].port, 'number');
    // Kong's pg_* fields (Kong Manager's overview), from the database the control plane runs on.
    for (const k of ['pg_host', 'pg_port', 'pg_database', 'pg_user', 'pg_password', 'pg_ssl', 'pg_timeout'])
      assert.ok(k in c, k);
    if (c.database_backend === 'external') {
      assert.equal(c.pg_host, '127.0.0.1');
      assert.equal(c.pg_port, 5432);
      assert.match(c.pg_database, /^tollgate_/);
    } else assert.equal(c.pg_host, null);
    assert.ok(c.pg_password === null || c.pg_password === '******');
    assert.ok(!JSON.stringify(body).includes('token'), 'no secrets');
  });

  test('GET /endpoints lists the paths, parameters in braces, sorted by segment', async () => {
    const { data } = (await api('GET', '/endpoints')).body;
    for (const p of [
      '/',
      '/services',
      '/services/{key}',
      '/consumers/{parent}/key-auth',
      '/tags/{tag}',
      '/schemas/plugins/{name}',
    ])
      assert.ok(data.includes(p), p);
    assert.ok(data.indexOf('/services') < data.indexOf('/services/{key}'));
    assert.ok(data.indexOf('/routes/{key}') < data.indexOf('/schemas/{entity}'));
  });
});

/** One field of a Kong-format `fields` list. */
function field(schema: any, name: string): any {
  const entry = schema.fields.find((f: any) => Object.keys(f)[0] === name);
  assert.ok(entry, `field ${name}`);
  return entry[name];
}

/**
 * What decK does with `/schemas` before diffing: fill every absent field from the schema's
 * defaults (records recursively, null where there is none).
 */
function fillDefaults(record: any, value: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = { ...value };
  for (const entry of record.fields) {
    const [name, f] = Object.entries<any>(entry)[0];
    if (out[name] === undefined || out[name] === null) {
      if (f.default !== undefined) out[name] = structuredClone(f.default);
      else if (f.type === 'record' && f.required) out[name] = fillDefaults(f, {});
      else out[name] = null;
    }
    if (f.type === 'record' && out[name] && typeof out[name] === 'object')
      out[name] = fillDefaults(f, out[name]);
    if ((f.type === 'array' || f.type === 'set') && f.elements.type === 'record' && Array.isArray(out[name]))
      out[name] = out[name].map((v: any) => fillDefaults(f.elements, v));
  }
  return out;
}

describe("/schemas in Kong's format", () => {
  test('services, routes and consumers as Kong describes them', async () => {
    const services = (await api('GET', '/schemas/services')).body;
    assert.ok(Array.isArray(services.fields));
    for (const f of services.fields) assert.equal(Object.keys(f).length, 1);
    assert.deepEqual(field(services, 'id'), { type: 'string', uuid: true, auto: true });
    assert.deepEqual(field(services, 'created_at'), { type: 'integer', timestamp: true, auto: true });
    assert.deepEqual(field(services, 'port'), {
      type: 'integer',
      between: [0, 65535],
      default: 80,
      required: true,
    });
    assert.deepEqual(field(services, 'retries'), {
      type: 'integer',
      between: [0, 32767],
      default: 5,
      required: true,
    });
    assert.equal(field(services, 'protocol').default, 'http');
    assert.ok(field(services, 'protocol').one_of.includes('https'));
    assert.equal(field(services, 'host').required, true);
    assert.equal(field(services, 'name').unique, true);
    assert.equal(field(services, 'tags').type, 'set');
    assert.equal(field(services, 'tags').elements.type, 'string');
    assert.deepEqual(field(services, 'client_certificate'), { type: 'foreign', reference: 'certificates' });

    const routes = (await api('GET', '/schemas/routes')).body;
    assert.deepEqual(field(routes, 'service'), { type: 'foreign', reference: 'services' });
    assert.equal(field(routes, 'paths').type, 'array');
    assert.equal(field(routes, 'headers').type, 'map');
    assert.deepEqual(field(routes, 'headers').keys, { type: 'string' });
    assert.equal(field(routes, 'headers').values.type, 'array');
    assert.deepEqual(field(routes, 'protocols').default, ['http', 'https']);
    assert.deepEqual(field(routes, 'https_redirect_status_code').one_of, [426, 301, 302, 307, 308]);

    const consumers = (await api('GET', '/schemas/consumers')).body;
    assert.deepEqual(
      consumers.fields.map((f: any) => Object.keys(f)[0]),
      ['id', 'created_at', 'updated_at', 'username', 'custom_id', 'tags'],
    );
    assert.deepEqual(field(consumers, 'username'), { type: 'string', len_min: 1, unique: true });

    const keyAuths = (await api('GET', '/schemas/keyauth_credentials')).body;
    assert.deepEqual(field(keyAuths, 'consumer'), {
      type: 'foreign',
      reference: 'consumers',
      required: true,
      on_delete: 'cascade',
    });
    assert.equal(field(keyAuths, 'key').unique, true);
    assert.equal(field(keyAuths, 'key').auto, true);
    assert.equal(field(keyAuths, 'key').encrypted, true);
    assert.deepEqual((await api('GET', '/schemas/key-auth')).body, keyAuths);
    const missing = await api('GET', '/schemas/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, "No entity named 'nope'");
  });

  test('every entity: primary key, timestamps, foreign keys and unique fields as Kong marks them', async () => {
    for (const def of ENTITY_LIST) {
      const s = (await api('GET', `/schemas/${def.name}`)).body;
      assert.deepEqual(field(s, 'id'), { type: 'string', uuid: true, auto: true }, def.name);
      assert.deepEqual(field(s, 'created_at'), { type: 'integer', timestamp: true, auto: true }, def.name);
      for (const fk of def.foreignKeys)
        assert.equal(field(s, fk.field).reference, fk.references, `${def.name}.${fk.field}`);
      for (const u of def.unique) assert.equal(field(s, u).unique, true, `${def.name}.${u}`);
      assert.deepEqual(s.entity_checks, []);
    }
    const plugins = (await api('GET', '/schemas/plugins')).body;
    assert.deepEqual(field(plugins, 'service'), {
      type: 'foreign',
      reference: 'services',
      on_delete: 'cascade',
    });
    assert.equal(field(plugins, 'name').required, true);
    assert.deepEqual(field(plugins, 'enabled'), { type: 'boolean', default: true, required: true });
    const groups = (await api('GET', '/schemas/consumer_groups')).body;
    assert.equal(field(groups, 'name').unique, true);
    assert.equal(field(groups, 'name').required, true);
  });

  test('every bundled plugin: consumer scoping, protocols and a config record', async () => {
    for (const p of PLUGIN_LIST) {
      const s = (await api('GET', `/schemas/plugins/${p.name}`)).body;
      const config = field(s, 'config');
      assert.equal(config.type, 'record', p.name);
      assert.equal(config.required, true);
      assert.ok(config.fields.length > 0, p.name);
      const walk = (f: any, where: string) => {
        assert.ok(
          [
            'string',
            'integer',
            'number',
            'boolean',
            'array',
            'set',
            'map',
            'record',
            'foreign',
            'json',
          ].includes(f.type),
          `${where}: ${f.type}`,
        );
        if (f.type === 'record')
          for (const e of f.fields) for (const [k, v] of Object.entries(e)) walk(v, `${where}.${k}`);
        if (f.type === 'array' || f.type === 'set') walk(f.elements, `${where}.elements`);
        if (f.type === 'map') walk(f.values, `${where}.values`);
      };
      walk(config, `${p.name}.config`);
      assert.equal(field(s, 'protocols').type, 'set');
      if (p.noConsumer)
        assert.deepEqual(field(s, 'consumer'), { type: 'foreign', reference: 'consumers', eq: null });
    }
    const keyAuth = (await api('GET', '/schemas/plugins/key-auth')).body;
    assert.deepEqual(field(field(keyAuth, 'config'), 'key_names'), {
      type: 'array',
      elements: { type: 'string', required: true },
      len_min: 1,
      default: ['apikey'],
      required: true,
    });
    // Kong OSS's key-auth and basic-auth: HTTP and gRPC only; a WebSocket protocol is refused.
    assert.deepEqual(field(keyAuth, 'protocols').default, ['grpc', 'grpcs', 'http', 'https']);
    for (const name of ['key-auth', 'basic-auth']) {
      const ws = await api('POST', '/plugins', { name, protocols: ['http', 'ws'] });
      assert.equal(ws.status, 400, JSON.stringify(ws.body));
      assert.equal(ws.body.name, 'schema violation');
      assert.match(JSON.stringify(ws.body.fields.protocols), /expected one of/);
    }
    assert.equal((await api('GET', '/schemas/plugins/nope')).body.message, "No plugin named 'nope'");
    // JSON Schema stays available for JSON-Schema tooling.
    assert.ok((await api('GET', '/schemas/json/plugins/ai-mcp-proxy')).body.properties.default_acl);
    assert.ok((await api('GET', '/schemas/json/services')).body.properties.host);
  });

  test("decK's default filling from the Kong schemas gives exactly what the Admin API stores", async () => {
    const seedPlugins: any[] = [];
    for (const svc of loadSeed().services)
      for (const r of svc.routes ?? []) seedPlugins.push(...(r.plugins ?? []));
    const examples = [
      ...seedPlugins.map((p) => ({ name: p.name, config: p.config })),
      { name: 'basic-auth', config: {} },
      { name: 'rate-limiting', config: { minute: 5 } },
      { name: 'cors', config: {} },
    ];
    for (const ex of examples) {
      const stored = await api('POST', '/schemas/plugins/validate', ex);
      assert.equal(stored.status, 200, `${ex.name}: ${JSON.stringify(stored.body)}`);
      const created = await api('POST', '/plugins', { ...ex, instance_name: `fill-${examples.indexOf(ex)}` });
      assert.equal(created.status, 201, `${ex.name}: ${JSON.stringify(created.body)}`);
      const schema = (await api('GET', `/schemas/plugins/${ex.name}`)).body;
      const filled = fillDefaults(field(schema, 'config'), ex.config);
      const stored_ = created.body.config;
      if (ex.name === 'datakit') {
        // Datakit nodes are polymorphic by `type` (served as `json` elements): their per-type
        // defaults are the plugin's; the rest of the config is filled from the schema.
        assert.deepEqual(
          filled.nodes.map((n: any) => n.name),
          stored_.nodes.map((n: any) => n.name),
        );
        assert.deepEqual({ ...filled, nodes: null }, { ...stored_, nodes: null }, ex.name);
      } else assert.deepEqual(filled, stored_, ex.name);
      await api('DELETE', `/plugins/${created.body.id}`);
    }
  });

  test('/schemas/{entity}/validate as Kong', async () => {
    const ok = await api('POST', '/schemas/services/validate', { host: 'example.com' });
    assert.deepEqual(ok.body, { message: 'schema validation successful' });
    const bad = await api('POST', '/schemas/routes/validate', { paths: ['/ok', 'nope'] });
    assert.equal(bad.status, 400);
    assert.equal(
      bad.body.message,
      'schema violation (paths.2: should start with: / (fixed path) or ~/ (regex path))',
    );
  });
});

describe("schema violations in Kong's wording", () => {
  test("Kong's documented example: a service without host", async () => {
    const r = await api('POST', '/services', { name: 'no-host' });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, {
      code: 2,
      name: 'schema violation',
      message: 'schema violation (host: required field missing)',
      fields: { host: 'required field missing' },
    });
  });

  test('array positions are 1-based and dotted, entity checks first, fields nest', async () => {
    const r = await api('POST', '/routes', { paths: ['/a', 'b', '/c', 'd'], protocols: ['http'] });
    assert.equal(
      r.body.message,
      '2 schema violations (paths.2: should start with: / (fixed path) or ~/ (regex path); paths.4: should start with: / (fixed path) or ~/ (regex path))',
    );
    assert.deepEqual(r.body.fields.paths, [
      null,
      'should start with: / (fixed path) or ~/ (regex path)',
      null,
      'should start with: / (fixed path) or ~/ (regex path)',
    ]);
    const nested = await api('POST', '/plugins', { name: 'key-auth', config: { key_names: ['ok', 7] } });
    assert.equal(nested.body.message, 'schema violation (config.key_names.2: expected a string)');
    const tag = await api('POST', '/consumers', { username: 'x', tags: ['a', 'b/c'] });
    assert.match(tag.body.message, /^schema violation \(tags\.2: invalid tag 'b\/c'/);
    assert.equal(tag.body.fields.tags[0], null);
    const entity = await api('POST', '/consumers', { tags: ['a'] });
    assert.equal(
      entity.body.message,
      "schema violation (at least one of these fields must be non-empty: 'custom_id', 'username')",
    );
    assert.deepEqual(entity.body.fields, {
      '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"],
    });
  });
});

describe('query filters and /tags', () => {
  test('GET /consumers?custom_id= finds the one consumer', async () => {
    await api('POST', '/consumers', { username: 'filter-a', custom_id: 'cid-a' });
    await api('POST', '/consumers', { username: 'filter-b', custom_id: 'cid-b' });
    const one = await api('GET', '/consumers?custom_id=cid-b');
    assert.equal(one.status, 200);
    assert.deepEqual(
      one.body.data.map((c: any) => c.username),
      ['filter-b'],
    );
    assert.equal(one.body.next, null);
    assert.deepEqual((await api('GET', '/consumers?custom_id=none')).body, { data: [], next: null });
  });

  test('/tags lists every tagged entity, paginated; /tags/{tag} one tag', async () => {
    const svc = (
      await api('POST', '/services', { name: 'tagged-svc', host: 'x.test', tags: ['team-a', 'prod'] })
    ).body;
    const route = (await api('POST', '/routes', { name: 'tagged-route', paths: ['/t'], tags: ['team-a'] }))
      .body;
    const consumer = (await api('POST', '/consumers', { username: 'tagged-c', tags: ['team-b'] })).body;
    const all: any[] = [];
    let next: string | null = '/tags?size=1';
    while (next) {
      const page: any = (await api('GET', next)).body;
      assert.ok(page.data.length <= 1);
      all.push(...page.data);
      next = page.next;
    }
    for (const [tag, name, id] of [
      ['team-a', 'services', svc.id],
      ['prod', 'services', svc.id],
      ['team-a', 'routes', route.id],
      ['team-b', 'consumers', consumer.id],
    ])
      assert.ok(
        all.some((e) => e.tag === tag && e.entity_name === name && e.entity_id === id),
        `${tag} ${name}`,
      );
    const teamA = (await api('GET', '/tags/team-a')).body;
    assert.deepEqual(teamA.data.map((e: any) => e.entity_name).sort(), ['routes', 'services']);
    assert.deepEqual(Object.keys(teamA.data[0]).sort(), ['entity_id', 'entity_name', 'tag']);
    assert.equal((await api('GET', '/tags?offset=bogus')).status, 400);
  });
});
