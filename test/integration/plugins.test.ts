import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mustCreate, sendThrough, startStack, type Stack } from '../helpers/stack';
import { startEchoUpstream } from '../helpers/topology';

let s: Stack;
let echo: Awaited<ReturnType<typeof startEchoUpstream>>;

before(async () => {
  s = await startStack();
  echo = await startEchoUpstream();
  await mustCreate(s.api, '/consumers', { username: 'alice', custom_id: 'a-1' });
  await mustCreate(s.api, '/consumers/alice/key-auth', { key: 'alice-key' });
  await mustCreate(s.api, '/consumers', { username: 'bob' });
  await mustCreate(s.api, '/consumers/bob/key-auth', { key: 'bob-key' });
  await mustCreate(s.api, '/consumer_groups', { name: 'gold' });
  await mustCreate(s.api, '/consumer_groups/gold/consumers', { consumer: 'bob' });
  await mustCreate(s.api, '/consumers', { username: 'guest' });
});
after(async () => {
  await s?.close();
  await echo?.close();
});

/** Send through the data plane with an explicit Host header. */
const send = (path: string, opts: Parameters<typeof sendThrough>[2] = {}) =>
  sendThrough(s.dp.proxyUrl, path, opts);

describe('key-auth', () => {
  before(async () => {
    await mustCreate(s.api, '/services', { name: 'ka', url: echo.url });
    await mustCreate(s.api, '/services/ka/routes', { name: 'ka', paths: ['/ka'] });
    await mustCreate(s.api, '/routes/ka/plugins', {
      name: 'key-auth',
      config: { key_names: ['apikey', 'x-api-key'] },
    });
    await mustCreate(s.api, '/services/ka/routes', { name: 'ka-hidden', paths: ['/hidden'] });
    await mustCreate(s.api, '/routes/ka-hidden/plugins', {
      name: 'key-auth',
      config: { hide_credentials: true, key_in_body: true, realm: 'tollgate' },
    });
    await mustCreate(s.api, '/services/ka/routes', { name: 'ka-anon', paths: ['/anon'] });
    await mustCreate(s.api, '/routes/ka-anon/plugins', { name: 'key-auth', config: { anonymous: 'guest' } });
    await s.synced();
  });

  test('no key: 401 No API key found in request, with WWW-Authenticate', async () => {
    const r = await send('/ka');
    assert.equal(r.status, 401);
    assert.equal(r.json.message, 'No API key found in request');
    assert.match(r.json.request_id, /^[0-9a-f-]{36}$/);
    assert.equal(r.headers['www-authenticate'], 'Key');
    assert.equal((await send('/hidden')).headers['www-authenticate'], 'Key realm="tollgate"');
  });

  test('wrong key: 401 Unauthorized', async () => {
    const r = await send('/ka', { headers: { apikey: 'nope' } });
    assert.equal(r.status, 401);
    assert.equal(r.json.message, 'Unauthorized');
  });

  test('duplicate key: 401 Duplicate API key found', async () => {
    const r = await send('/ka?apikey=a&apikey=b');
    assert.equal(r.status, 401);
    assert.equal(r.json.message, 'Duplicate API key found');
  });

  test('valid key in a header, a second key name, or the query: consumer headers upstream', async () => {
    for (const [path, headers] of [
      ['/ka', { apikey: 'alice-key' }],
      ['/ka', { 'x-api-key': 'alice-key' }],
      ['/ka?apikey=alice-key', {}],
    ] as const) {
      const r = await send(path, { headers });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.headers['x-consumer-username'], 'alice');
      assert.equal(r.json.headers['x-consumer-custom-id'], 'a-1');
      assert.match(r.json.headers['x-consumer-id'], /^[0-9a-f-]{36}$/);
      assert.match(r.json.headers['x-credential-identifier'], /^[0-9a-f-]{36}$/);
    }
    const gold = await send('/ka', { headers: { apikey: 'bob-key' } });
    assert.equal(gold.json.headers['x-consumer-groups'], 'gold');
    // without hide_credentials the key travels on
    assert.equal((await send('/ka', { headers: { apikey: 'alice-key' } })).json.headers.apikey, 'alice-key');
  });

  test('hide_credentials strips the key from header, query and body', async () => {
    const h = await send('/hidden', { headers: { apikey: 'alice-key' } });
    assert.equal(h.status, 200);
    assert.equal(h.json.headers.apikey, undefined);
    const q = await send('/hidden?apikey=alice-key&keep=1');
    assert.equal(q.json.url, '/?keep=1');
    const b = await send('/hidden', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'apikey=alice-key&other=x',
    });
    assert.equal(b.status, 200, b.body);
    assert.equal(b.json.body, 'other=x');
  });

  test('anonymous: a failed login falls back to the anonymous consumer', async () => {
    const r = await send('/anon');
    assert.equal(r.status, 200);
    assert.equal(r.json.headers['x-consumer-username'], 'guest');
    assert.equal(r.json.headers['x-anonymous-consumer'], 'true');
    const named = await send('/anon', { headers: { apikey: 'alice-key' } });
    assert.equal(named.json.headers['x-consumer-username'], 'alice');
    assert.equal(named.json.headers['x-anonymous-consumer'], undefined);
  });
});

describe('cors', () => {
  before(async () => {
    await mustCreate(s.api, '/services/ka/routes', { name: 'cors', paths: ['/cors'] });
    await mustCreate(s.api, '/routes/cors/plugins', { name: 'key-auth' });
    await mustCreate(s.api, '/routes/cors/plugins', {
      name: 'cors',
      config: {
        origins: ['https://app.example.com', 'https://.*\\.trusted\\.dev'],
        credentials: true,
        max_age: 600,
        exposed_headers: ['x-total'],
      },
    });
    await s.synced();
  });

  test('preflight is answered before auth', async () => {
    const r = await send('/cors', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,apikey',
      },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(r.headers['access-control-allow-credentials'], 'true');
    assert.equal(
      r.headers['access-control-allow-methods'],
      'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT',
    );
    assert.equal(r.headers['access-control-allow-headers'], 'authorization,apikey');
    assert.equal(r.headers['access-control-max-age'], '600');
    assert.match(r.headers.vary, /Origin/);
  });

  test('CORS headers on proxied responses and on the gateway 401; unknown origins get none', async () => {
    const denied = await send('/cors', { headers: { origin: 'https://x.trusted.dev' } });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers['access-control-allow-origin'], 'https://x.trusted.dev');
    const ok = await send('/cors', { headers: { origin: 'https://app.example.com', apikey: 'alice-key' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['access-control-expose-headers'], 'x-total');
    // a literal origin is not a regex: its dots match only dots
    const lookalike = await send('/cors', {
      headers: { origin: 'https://appXexample.com', apikey: 'alice-key' },
    });
    assert.equal(lookalike.headers['access-control-allow-origin'], undefined);
    const other = await send('/cors', {
      headers: { origin: 'https://evil.example.com', apikey: 'alice-key' },
    });
    assert.equal(other.status, 200);
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });
});

describe('plugin ordering and scope precedence', () => {
  before(async () => {
    await mustCreate(s.api, '/services', { name: 'scoped', url: echo.url });
    await mustCreate(s.api, '/services/scoped/routes', { name: 'scoped', paths: ['/scoped'] });
    await mustCreate(s.api, '/services/scoped/routes', { name: 'scoped-other', paths: ['/scoped-other'] });
    await mustCreate(s.api, '/routes/scoped/plugins', { name: 'key-auth', config: { anonymous: 'guest' } });
    await mustCreate(s.api, '/routes/scoped-other/plugins', {
      name: 'key-auth',
      config: { anonymous: 'guest' },
    });
    const add = (v: string) => ({
      name: 'request-transformer-advanced',
      config: { add: { headers: [`x-scope:${v}`] } },
    });
    await mustCreate(s.api, '/plugins', add('global'));
    await mustCreate(s.api, '/services/scoped/plugins', add('service'));
    await mustCreate(s.api, '/routes/scoped/plugins', add('route'));
    await mustCreate(s.api, '/consumer_groups/gold/plugins', add('group'));
    await mustCreate(s.api, '/consumers/alice/plugins', add('consumer'));
    await mustCreate(s.api, '/plugins', {
      ...add('consumer+route'),
      consumer: { username: 'alice' },
      route: { name: 'scoped-other' },
    });
    await s.synced();
  });

  test('the most specific instance runs, once', async () => {
    const scope = async (path: string, key?: string) => {
      const r = await send(path, { headers: key ? { apikey: key } : {} });
      assert.equal(r.status, 200, `${path} ${key}: ${r.body}`);
      return r.json.headers['x-scope'];
    };
    assert.equal(await scope('/scoped'), 'route'); // guest: route beats service beats global
    assert.equal(await scope('/scoped', 'alice-key'), 'consumer'); // consumer beats route
    assert.equal(await scope('/scoped', 'bob-key'), 'group'); // consumer group beats route
    assert.equal(await scope('/scoped-other', 'alice-key'), 'consumer+route');
    assert.equal(await scope('/scoped-other'), 'service');
    assert.equal(await scope('/ka', 'alice-key'), 'consumer');
    assert.equal(await scope('/anon'), 'global');
  });

  test('ordering.before.access moves a plugin ahead of a higher-priority one', async () => {
    await mustCreate(s.api, '/services/ka/routes', { name: 'ordered', paths: ['/ordered'] });
    await mustCreate(s.api, '/routes/ordered/plugins', { name: 'key-auth' });
    const t = await mustCreate(s.api, '/routes/ordered/plugins', {
      name: 'request-transformer-advanced',
      config: { add: { headers: ['apikey:alice-key'] } },
    });
    await s.synced();
    // priority 802 < key-auth's 1250: the key is added too late
    assert.equal((await send('/ordered')).status, 401);
    await s.api('PATCH', `/plugins/${t.id}`, { ordering: { before: { access: ['key-auth'] } } });
    await s.synced();
    const r = await send('/ordered');
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.headers['x-consumer-username'], 'alice');
  });
});

describe('transformers', () => {
  before(async () => {
    await mustCreate(s.api, '/services', { name: 'tx', url: echo.url });
    await mustCreate(s.api, '/services/tx/routes', { name: 'tx-req', paths: ['/tx-req'] });
    await mustCreate(s.api, '/routes/tx-req/plugins', {
      name: 'request-transformer-advanced',
      config: {
        remove: { headers: ['x-remove'], querystring: ['drop'], body: ['secret'] },
        rename: { headers: ['x-old:x-new'] },
        replace: { headers: ['x-rep:replaced', 'x-absent:never'], body: ['n:7'], json_types: ['number'] },
        add: {
          headers: ['x-added:$(headers.x-src)', 'x-rep:not-added'],
          querystring: ['q:1'],
          body: ['flag:true'],
          json_types: ['boolean'],
        },
        append: { headers: ['x-multi:two'] },
      },
    });
    await mustCreate(s.api, '/services/tx/routes', { name: 'tx-res', paths: ['/tx-res'] });
    await mustCreate(s.api, '/routes/tx-res/plugins', {
      name: 'response-transformer-advanced',
      config: {
        replace: { json: ['method:REWRITTEN'], json_types: ['string'] },
        add: { headers: ['x-gw:1'], json: ['added:"yes"'] },
        remove: { json: ['headers'], headers: ['x-tollgate-upstream-latency'] },
      },
    });
    await s.synced();
  });

  test('request: remove, rename, replace, add, append on headers, query and JSON body', async () => {
    const r = await send('/tx-req?drop=1&keep=2', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-remove': '1',
        'x-old': 'o',
        'x-rep': 'orig',
        'x-src': 'copied',
        'x-multi': 'one',
      },
      body: JSON.stringify({ secret: 's', n: 1, keep: true }),
    });
    assert.equal(r.status, 200, r.body);
    const h = r.json.headers;
    assert.equal(h['x-remove'], undefined);
    assert.equal(h['x-old'], undefined);
    assert.equal(h['x-new'], 'o');
    assert.equal(h['x-rep'], 'replaced');
    assert.equal(h['x-absent'], undefined);
    assert.equal(h['x-added'], 'copied');
    assert.equal(h['x-multi'], 'one, two');
    assert.equal(r.json.url, '/?keep=2&q=1');
    assert.deepEqual(JSON.parse(r.json.body), { n: 7, keep: true, flag: true });
  });

  test('response: JSON edits and headers; content-length recomputed', async () => {
    const r = await send('/tx-res');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-gw'], '1');
    assert.equal(r.headers['x-tollgate-upstream-latency'], undefined);
    assert.equal(r.json.method, 'REWRITTEN');
    assert.equal(r.json.added, 'yes');
    assert.equal(r.json.headers, undefined);
    assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body));
  });
});
