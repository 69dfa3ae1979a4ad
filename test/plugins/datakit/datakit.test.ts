/**
 * datakit through a real data plane: the seed's auth challenge, jq over headers/query/body,
 * call nodes, response-phase nodes, properties, node failures, and the control plane refusing
 * graphs it cannot run.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mustCreate, startStack, type Stack } from '../../helpers/stack';
import { loadSeed } from '../../helpers/seed';

let s: Stack;
let upstream: Server;
let upstreamUrl: string;
const seen: { url: string; headers: Record<string, unknown>; body: string }[] = [];

before(async () => {
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ url: req.url!, headers: req.headers, body });
      if (req.url!.startsWith('/fail')) {
        res.writeHead(403, { 'content-type': 'application/json' });
        return res.end('{"message":"nope"}');
      }
      if (req.url!.startsWith('/user')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ login: 'octocat', plan: { name: 'pro' } }));
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(
        JSON.stringify({
          path: req.url,
          items: [
            { id: 1, secret: 's1' },
            { id: 2, secret: 's2' },
          ],
        }),
      );
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  s = await startStack();
  await mustCreate(s.api, '/services', { name: 'svc', url: upstreamUrl });
});
after(async () => {
  await s?.close();
  await new Promise((r) => upstream.close(r));
});

async function route(name: string, nodes: unknown[], extra: Record<string, unknown> = {}) {
  await mustCreate(s.api, '/services/svc/routes', { name, paths: [`/${name}`] });
  const r = await s.api('POST', `/routes/${name}/plugins`, { name: 'datakit', config: { nodes, ...extra } });
  assert.equal(r.status, 201, r.text);
  await s.synced();
}

const get = (path: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
  fetch(`${s.dp.proxyUrl}${path}`, { headers, ...init });

test("the seed's challenge: no Authorization -> the static 401, with one -> through to the upstream", async () => {
  const seedPlugin = loadSeed().services[0].routes[0].plugins.find((p: any) => p.name === 'datakit');
  await route('seed', seedPlugin.config.nodes);
  const denied = await get('/seed/x');
  assert.equal(denied.status, 401);
  assert.equal(
    denied.headers.get('www-authenticate'),
    'Bearer resource_metadata="https://localhost:8443/.well-known/oauth-protected-resource/github-mcp", error="invalid_token"',
  );
  assert.equal(denied.headers.get('content-type'), 'application/json');
  assert.deepEqual(await denied.json(), { message: 'Unauthorized' });
  const before = seen.length;
  for (const h of ['Authorization', 'authorization']) {
    const ok = await get('/seed/x', { [h]: 'Bearer t' });
    assert.equal(ok.status, 200, h);
  }
  assert.equal(seen.length, before + 2);
});

test('jq nodes rewrite upstream headers, query and body; values are case-preserving maps', async () => {
  await route('rewrite', [
    {
      name: 'HEADERS',
      type: 'jq',
      input: 'request.headers',
      jq: 'with_entries(.key |= ascii_downcase) | {"x-user": (.["x-user"] // "anonymous"), "x-seen-keys": (keys | map(select(startswith("x-"))) | join(","))}',
      output: 'service_request.headers',
    },
    {
      name: 'QUERY',
      type: 'jq',
      input: 'request.query',
      jq: '. + {"added": "1", "n": (.n | tonumber + 1 | tostring)}',
      output: 'service_request.query',
    },
    {
      name: 'BODY',
      type: 'jq',
      input: 'request.body',
      jq: '{wrapped: ., count: (.items | length)}',
      output: 'service_request.body',
    },
  ]);
  const r = await get(
    '/rewrite/p?n=41&keep=yes',
    { 'X-User': 'ann', 'content-type': 'application/json' },
    {
      method: 'POST',
      body: JSON.stringify({ items: [1, 2, 3] }),
    },
  );
  assert.equal(r.status, 200);
  const last = seen[seen.length - 1];
  assert.equal(last.headers['x-user'], 'ann');
  assert.equal(last.headers['x-seen-keys'], 'x-user');
  assert.equal(new URL(last.url, 'http://x').searchParams.get('n'), '42');
  assert.equal(new URL(last.url, 'http://x').searchParams.get('added'), '1');
  assert.equal(new URL(last.url, 'http://x').searchParams.get('keep'), 'yes');
  assert.deepEqual(JSON.parse(last.body), { wrapped: { items: [1, 2, 3] }, count: 3 });
});

test('call nodes fetch, join into the request, and a failing call answers 500 with Kong body', async () => {
  await route('call', [
    { name: 'USER', type: 'call', url: `${upstreamUrl}/user` },
    {
      name: 'PLAN',
      type: 'jq',
      inputs: { user: 'USER.body' },
      jq: '{"x-plan": .user.plan.name, "x-login": .user.login}',
      output: 'service_request.headers',
    },
  ]);
  const r = await get('/call/p');
  assert.equal(r.status, 200);
  const last = seen[seen.length - 1];
  assert.equal(last.headers['x-plan'], 'pro');
  assert.equal(last.headers['x-login'], 'octocat');

  await route('call-fail', [{ name: 'API', type: 'call', url: `${upstreamUrl}/fail` }]);
  const before = seen.length;
  const failed = await get('/call-fail/p');
  assert.equal(failed.status, 500);
  const body: any = await failed.json();
  assert.equal(body.message, 'An unexpected error occurred');
  assert.ok(body.request_id);
  assert.equal(seen.length, before + 1, 'only the call reached the server, not the proxied request');

  await route('call-debug', [{ name: 'API', type: 'call', url: `${upstreamUrl}/fail` }], { debug: true });
  const dbg: any = await (await get('/call-debug/p')).json();
  assert.equal(dbg.message, 'node execution error');
  assert.equal(dbg.error, 'non-2XX response code: 403');
  assert.deepEqual(dbg.node, { index: 1, name: 'API', type: 'call' });
});

test('response-phase nodes read the upstream response and rewrite body and headers', async () => {
  await route('respond', [
    {
      name: 'STRIP',
      type: 'jq',
      input: 'service_response.body',
      jq: '.items | map(del(.secret))',
      output: 'response.body',
    },
    {
      name: 'HDRS',
      type: 'jq',
      inputs: { h: 'service_response.headers' },
      jq: '{"x-was": .h["x-upstream"]}',
      output: 'response.headers',
    },
  ]);
  const r = await get('/respond/p');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-was'), 'yes');
  assert.deepEqual(await r.json(), [{ id: 1 }, { id: 2 }]);
});

test('branch + exit in the response phase; properties read the route and share context', async () => {
  await route('props', [
    { name: 'ROUTE', type: 'property', property: 'kong.route_name' },
    { name: 'SET', type: 'property', property: 'kong.ctx.shared.marker', input: 'ROUTE' },
    { name: 'GET', type: 'property', property: 'kong.ctx.shared.marker' },
    {
      name: 'OUT',
      type: 'jq',
      inputs: { r: 'ROUTE' },
      jq: '{"x-route": .r}',
      output: 'service_request.headers',
    },
  ]);
  assert.equal((await get('/props/p')).status, 200);
  assert.equal(seen[seen.length - 1].headers['x-route'], 'props');

  await route('guard', [
    { name: 'CHECK', type: 'jq', input: 'service_response.body', jq: '(.items | length) > 1' },
    { name: 'B', type: 'branch', input: 'CHECK', then: ['BIG', 'STOP'] },
    { name: 'BIG', type: 'static', values: { BODY: 'too many items', 'x-guard': 'hit' } },
    { name: 'STOP', type: 'exit', status: 502, inputs: { body: 'BIG.BODY', headers: 'BIG' } },
  ]);
  const r = await get('/guard/p');
  assert.equal(r.status, 502);
  assert.equal(r.headers.get('x-guard'), 'hit');
  assert.equal(await r.text(), 'too many items');
});

test('a node failing at run time (jq error, non-boolean branch) answers 500, never crashes', async () => {
  await route('jq-fail', [{ name: 'BAD', type: 'jq', input: 'request.headers', jq: '.host | tonumber' }]);
  assert.equal((await get('/jq-fail/p')).status, 500);
  await route('branch-fail', [
    { name: 'V', type: 'static', values: { v: 'yes' } },
    { name: 'B', type: 'branch', input: 'V.v', then: ['T'] },
    { name: 'T', type: 'static', values: {} },
  ]);
  assert.equal((await get('/branch-fail/p')).status, 500);
  assert.equal((await get('/respond/p')).status, 200, 'the data plane still serves');
});

test('the control plane refuses graphs the data plane cannot run, with the node path', async () => {
  await mustCreate(s.api, '/services/svc/routes', { name: 'refused', paths: ['/refused'] });
  const cases: [unknown[], RegExp][] = [
    [[{ name: 'A', type: 'jq', jq: '.a |', input: 'request.headers' }], /nodes\.1\.jq.*invalid jq filter/],
    [[{ name: 'A', type: 'jq', jq: 'def f: 1; f' }], /invalid jq filter/],
    [
      [
        { name: 'A', type: 'jq', jq: '.', input: 'B' },
        { name: 'B', type: 'jq', jq: '.', input: 'A' },
      ],
      /circular dependency/,
    ],
    [[{ name: 'A', type: 'jq', jq: '.', input: 'NOPE' }], /unknown node 'NOPE'/],
    [[{ name: 'A', type: 'jq', jq: '.', input: 'request.nope' }], /no output 'nope'/],
    [[{ name: 'A', type: 'cache' }], /not supported by Tollgate/],
    [
      [{ name: 'C', type: 'call', url: 'http://127.0.0.1:1/', inputs: { body: 'service_response.body' } }],
      /circular dependency/,
    ],
    [
      [
        { name: 'A', type: 'static', values: { a: 1 } },
        { name: 'B', type: 'static', values: { b: 1 } },
        { name: 'J', type: 'jq', jq: '.', inputs: { x: 'A.a' } },
        { name: 'K', type: 'jq', jq: '.', output: 'J.x' },
      ],
      /conflicts with existing connection/,
    ],
    [[{ name: 'P', type: 'property', property: 'kong.nope' }], /unknown property/],
  ];
  const version = (await s.api('GET', '/config')).body.version;
  for (const [nodes, message] of cases) {
    const r = await s.api('POST', '/routes/refused/plugins', { name: 'datakit', config: { nodes } });
    assert.equal(r.status, 400, JSON.stringify(nodes));
    assert.equal(r.body.name, 'schema violation');
    assert.match(JSON.stringify(r.body), message);
  }
  assert.equal((await s.api('GET', '/config')).body.version, version, 'nothing was written');
});
