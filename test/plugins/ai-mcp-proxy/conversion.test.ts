/**
 * ai-mcp-proxy conversion-listener and conversion-only + listener: REST operations served as MCP
 * tools by the data plane itself, driven by the official MCP SDK client and raw HTTP, against a
 * real (lenient) REST API that records what reached it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectMcp, postJsonRpc } from '../../helpers/mcp';
import { mustCreate, startStack, type Stack } from '../../helpers/stack';
import { startPetstoreApi, type PetstoreApi } from '../../fixtures/petstore-api';
import { startDataPlane, type RunningDataPlane } from '../../../data-plane/main';
import { waitFor } from '../../helpers/topology';
import { PET, PET_TOOLS } from '../../fixtures/petstore-tools';

let s: Stack;
let api: PetstoreApi;
const alice = { apikey: 'alice-key' };
const bob = { apikey: 'bob-key' };

async function consumers() {
  for (const g of ['admin', 'developer']) await mustCreate(s.api, '/consumer_groups', { name: g });
  for (const [name, key, group] of [
    ['alice', 'alice-key', 'admin'],
    ['bob', 'bob-key', 'developer'],
  ]) {
    await mustCreate(s.api, '/consumers', { username: name });
    await mustCreate(s.api, `/consumers/${name}/key-auth`, { key });
    await mustCreate(s.api, `/consumers/${name}/consumer_groups`, { group });
  }
}

const mcpUrl = (path: string, dp: RunningDataPlane = s.dp) => `${dp.proxyUrl}${path}`;

/** An initialized session over raw HTTP: its id. */
async function openSession(
  url: string,
  headers: Record<string, string>,
  protocolVersion = '2025-06-18',
): Promise<string> {
  const r = await postJsonRpc(url, headers, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  assert.equal(r.status, 200, await r.clone().text());
  const id = r.headers.get('mcp-session-id');
  assert.ok(id, 'a session id');
  return id;
}

before(async () => {
  api = await startPetstoreApi();
  s = await startStack();
  await consumers();
  await mustCreate(s.api, '/services', { name: 'petstore', url: api.url });
  await mustCreate(s.api, '/services/petstore/routes', { name: 'pets-mcp', paths: ['/pets-mcp'] });
  await mustCreate(s.api, '/routes/pets-mcp/plugins', {
    name: 'key-auth',
    config: { key_names: ['apikey'] },
  });
  await mustCreate(s.api, '/routes/pets-mcp/plugins', {
    name: 'ai-mcp-proxy',
    config: {
      mode: 'conversion-listener',
      include_consumer_groups: true,
      default_acl: [{ scope: 'tools', deny: ['developer'] }],
      logging: { log_audits: true },
      tools: PET_TOOLS,
      server: {
        session: { strategy: 'client', client: { secrets: ['first-secret-0123', 'older-secret-0123'] } },
      },
    },
  });
  await s.synced();
});

after(async () => {
  await s?.close();
  await api?.close();
});

describe('conversion-listener in MCP 2026-07-28', () => {
  const MODERN = '2026-07-28';
  const meta = {
    'io.modelcontextprotocol/protocolVersion': MODERN,
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  const modern = (method: string, params: Record<string, unknown> = {}, name?: string, id = 1) =>
    postJsonRpc(
      mcpUrl('/pets-mcp'),
      {
        ...alice,
        accept: 'application/json',
        'mcp-protocol-version': MODERN,
        'mcp-method': method,
        ...(name === undefined ? {} : { 'mcp-name': name }),
      },
      { jsonrpc: '2.0', id, method, params: { ...params, _meta: meta } },
    );

  test('stateless: server/discover, a private list, a call, no session; the result says what it is', async () => {
    const discover = await modern('server/discover');
    assert.equal(discover.status, 200);
    const d = ((await discover.json()) as any).result;
    assert.ok(d.supportedVersions.includes(MODERN) && d.supportedVersions.includes('2025-11-25'));
    assert.equal(d.resultType, 'complete');
    assert.equal(d['_meta']['io.modelcontextprotocol/serverInfo'].name, 'tollgate');
    assert.equal(discover.headers.get('mcp-session-id'), null);

    const list = ((await (await modern('tools/list')).json()) as any).result;
    assert.equal(list.cacheScope, 'private');
    assert.equal(typeof list.ttlMs, 'number');
    assert.ok(list.tools.some((t: any) => t.name === 'get-pet'));

    const call = await modern('tools/call', { name: 'get-pet', arguments: { path_petId: '1' } }, 'get-pet');
    assert.equal(call.status, 200);
    const r = ((await call.json()) as any).result;
    assert.equal(r.resultType, 'complete');
    assert.deepEqual(r.structuredContent, { id: 1, name: 'Rex', tag: 'dog' });
  });

  test('refused as the revision says: headers against the body, the version, 2025-only methods', async () => {
    const mismatch = await modern(
      'tools/call',
      { name: 'get-pet', arguments: { path_petId: '1' } },
      'list-pets',
    );
    assert.equal(mismatch.status, 400);
    assert.equal(((await mismatch.json()) as any).error.code, -32020);

    const future = await postJsonRpc(
      mcpUrl('/pets-mcp'),
      { ...alice, 'mcp-protocol-version': '2099-01-01', 'mcp-method': 'tools/list' },
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/list',
        params: { _meta: { ...meta, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } },
      },
    );
    assert.equal(future.status, 400);
    const err = ((await future.json()) as any).error;
    assert.equal(err.code, -32022);
    assert.equal(err.data.requested, '2099-01-01');

    const init = await modern('initialize', { protocolVersion: MODERN, capabilities: {} });
    assert.equal(init.status, 404);
    assert.equal(((await init.json()) as any).error.code, -32601);
  });

  test('subscriptions/listen is acknowledged and closed', async () => {
    const r = await postJsonRpc(
      mcpUrl('/pets-mcp'),
      { ...alice, 'mcp-protocol-version': MODERN, 'mcp-method': 'subscriptions/listen' },
      {
        jsonrpc: '2.0',
        id: 'sub-1',
        method: 'subscriptions/listen',
        params: { _meta: meta, notifications: { toolsListChanged: true } },
      },
    );
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /text\/event-stream/);
    const text = await r.text();
    assert.match(text, /notifications\/subscriptions\/acknowledged/);
    assert.match(text, /"io.modelcontextprotocol\/subscriptionId":"sub-1"/);
  });
});

describe('conversion-listener', () => {
  test('the MCP SDK client lists the caller’s tools and calls them (JSON, structured output)', async () => {
    const client = await connectMcp(mcpUrl('/pets-mcp'), alice);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), [
      'bad-json',
      'binary',
      'create-pet',
      'dup-json',
      'echo',
      'get-pet',
      'list-pets',
      'pet-image',
      'svg',
    ]);
    const getPet = tools.find((t) => t.name === 'get-pet')!;
    assert.deepEqual(getPet.inputSchema.required, ['path_petId']);
    assert.equal((getPet.inputSchema as any).additionalProperties, false);
    assert.equal(getPet.annotations?.readOnlyHint, true);
    assert.deepEqual(getPet.outputSchema, PET);

    const pet = await client.callTool({ name: 'get-pet', arguments: { path_petId: '1' } });
    assert.equal(pet.isError, undefined);
    assert.deepEqual(pet.structuredContent, { id: 1, name: 'Rex', tag: 'dog' });
    assert.deepEqual(JSON.parse((pet.content as any)[0].text), { id: 1, name: 'Rex', tag: 'dog' });

    // An array schema is wrapped as {result: …} (MCP's structured content is an object).
    const list = await client.callTool({ name: 'list-pets', arguments: { query_limit: 1 } });
    assert.deepEqual(list.structuredContent, { result: [{ id: 1, name: 'Rex', tag: 'dog' }] });
    assert.ok(api.received.some((r) => r.url === '/api/pets?limit=1'));

    const created = await client.callTool({
      name: 'create-pet',
      arguments: { body: { name: 'Kit', tag: 'cat' } },
    });
    assert.match((created.content as any)[0].text, /"name":"Kit"/);
    const sent = api.received.find((r) => r.method === 'POST');
    assert.equal(sent?.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(sent!.body), { name: 'Kit', tag: 'cat' });

    const image = await client.callTool({ name: 'pet-image', arguments: {} });
    assert.equal((image.content as any)[0].type, 'image');
    assert.equal((image.content as any)[0].mimeType, 'image/png');
    await client.close();
  });

  test('upstream failures and unreadable answers are error results, never passed on unread', async () => {
    const client = await connectMcp(mcpUrl('/pets-mcp'), alice);
    const missing = await client.callTool({ name: 'get-pet', arguments: { path_petId: '99' } });
    assert.equal(missing.isError, true);
    assert.match((missing.content as any)[0].text, /^HTTP 404: .*pet 99 not found/);
    const bad = await client.callTool({ name: 'bad-json', arguments: {} });
    assert.equal(bad.isError, true);
    assert.match((bad.content as any)[0].text, /not the JSON it claims/);
    const dup = await client.callTool({ name: 'dup-json', arguments: {} });
    assert.equal(dup.isError, true);
    assert.match((dup.content as any)[0].text, /duplicate key 'id'/);
    const svg = await client.callTool({ name: 'svg', arguments: {} });
    assert.equal(svg.isError, true, 'SVG is a document, not an image to pass on');
    const binary = await client.callTool({ name: 'binary', arguments: {} });
    assert.equal(binary.isError, true);
    assert.match((binary.content as any)[0].text, /application\/octet-stream/);
    await client.close();
  });

  test('path parameters cannot traverse: refused before anything is sent', async () => {
    const client = await connectMcp(mcpUrl('/pets-mcp'), alice);
    const before = api.received.length;
    for (const petId of [
      '../admin',
      '..',
      '1/../../admin',
      '%2e%2e',
      '1\\..\\admin',
      '.',
      '',
      'a?b',
      'a#b',
      '1?x=../admin',
      '%3F',
      '%23',
    ]) {
      const r = await client.callTool({ name: 'get-pet', arguments: { path_petId: petId } });
      assert.equal(r.isError, true, petId);
      assert.match(
        (r.content as any)[0].text,
        /^Invalid arguments for tool 'get-pet': path parameter 'petId'/,
        petId,
      );
    }
    assert.equal(api.received.length, before, 'nothing reached the API');
    assert.ok(!api.received.some((r) => r.url.includes('admin')));
    // Characters that are safe in a segment are escaped, not refused.
    const odd = await client.callTool({ name: 'get-pet', arguments: { path_petId: 'a b' } });
    assert.equal(odd.isError, true);
    assert.equal(api.received[api.received.length - 1].url, '/api/pets/a%20b');
    await client.close();
  });

  test('arguments are validated against the input schema first', async () => {
    const client = await connectMcp(mcpUrl('/pets-mcp'), alice);
    const before = api.received.length;
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['list-pets', { query_limit: 0 }, /query_limit must be >= 1/],
      ['list-pets', { query_limit: 'ten' }, /must be integer/],
      ['list-pets', { limit: 1 }, /additional properties 'limit'/],
      ['create-pet', {}, /must have required property 'body'/],
      ['create-pet', { body: { name: 'x', admin: true } }, /additional properties 'admin'/],
      ['echo', { 'header_x-trace': 'a\r\nx-evil: 1' }, /line breaks/],
      ['echo', { 'header_x-trace': 'caf\u00e9' }, /outside visible ASCII/],
      ['get-pet', { path_petId: Number.MAX_SAFE_INTEGER + 2 }, /integer too large to pass on exactly/],
    ];
    for (const [name, args, message] of cases) {
      // Input validation errors are tool execution errors (2025-11-25), not protocol errors.
      const r = await client.callTool({ name, arguments: args });
      assert.equal(r.isError, true, `${name} ${JSON.stringify(args)}`);
      assert.match((r.content as any)[0].text, message, `${name} ${JSON.stringify(args)}`);
    }
    await assert.rejects(client.callTool({ name: 'nope', arguments: {} }), (err: any) => err.code === -32602);
    assert.equal(api.received.length, before, 'nothing reached the API');
    await client.close();
  });

  test('tool ACLs: tools/list filtered, denied calls -32602 and never sent upstream', async () => {
    const client = await connectMcp(mcpUrl('/pets-mcp'), bob);
    const { tools } = await client.listTools();
    assert.deepEqual(
      tools.map((t) => t.name),
      ['get-pet'],
    );
    const before = api.received.length;
    await assert.rejects(
      client.callTool({ name: 'create-pet', arguments: { body: { name: 'Evil' } } }),
      (err: any) => err.code === -32602 && /not available for consumer group 'developer'/.test(err.message),
    );
    assert.equal(api.received.length, before);
    const ok = await client.callTool({ name: 'get-pet', arguments: { path_petId: '2' } });
    assert.deepEqual(ok.structuredContent, { id: 2, name: 'Tom', tag: 'cat' });
    await client.close();
    // Without a key: key-auth answers, as on any route.
    const anonymous = await postJsonRpc(mcpUrl('/pets-mcp'), {}, { jsonrpc: '2.0', id: 1, method: 'ping' });
    assert.equal(anonymous.status, 401);
  });

  test('headers: fixed ones, header and cookie parameters; the client’s MCP and hop headers stay behind', async () => {
    const client = await connectMcp(mcpUrl('/pets-mcp'), {
      ...alice,
      'x-client': 'c1',
      'x-trace': 'from-the-client',
      'mcp-param-trace': 'from-the-client',
      cookie: 'session=from-the-client',
    });
    const bare = JSON.parse(
      ((await client.callTool({ name: 'echo', arguments: {} })).content as any)[0].text,
    );
    assert.equal(bare.headers['x-trace'], undefined, "the client's header never stands in for a parameter");
    assert.equal(bare.headers.cookie, undefined, 'nor its cookies for cookie parameters');
    const r = await client.callTool({
      name: 'echo',
      arguments: { 'header_x-trace': 't-1', cookie_session: 's1' },
    });
    const seen = JSON.parse((r.content as any)[0].text);
    assert.equal(seen.url, '/api/echo?fixed=1');
    assert.equal(seen.headers['x-fixed'], 'yes');
    assert.equal(seen.headers['x-trace'], 't-1');
    assert.equal(seen.headers.cookie, 'session=s1');
    assert.equal(seen.headers['x-client'], 'c1', 'forward_client_headers');
    for (const h of [
      'mcp-session-id',
      'mcp-protocol-version',
      'mcp-param-trace',
      'x-forwarded-for',
      'x-forwarded-host',
    ])
      assert.equal(seen.headers[h], undefined, h);
    await client.close();
  });

  test('raw Streamable HTTP: sessions required and bound to their consumer, SSE on request, 405 for GET', async () => {
    const url = mcpUrl('/pets-mcp');
    const sid = await openSession(url, alice);
    const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
    const noSession = await postJsonRpc(url, alice, ping);
    assert.equal(noSession.status, 400);
    const forged = await postJsonRpc(url, { ...alice, 'mcp-session-id': `${sid.slice(0, -4)}AAAA` }, ping);
    assert.equal(forged.status, 404);
    const stolen = await postJsonRpc(url, { ...bob, 'mcp-session-id': sid }, ping);
    assert.equal(stolen.status, 404, 'a session opened by alice is not found for bob');
    const json = await postJsonRpc(url, { ...alice, 'mcp-session-id': sid }, ping);
    assert.equal(json.status, 200);
    assert.deepEqual(await json.json(), { jsonrpc: '2.0', id: 1, result: {} });
    const batch = [ping, { jsonrpc: '2.0', id: 9, method: 'ping' }];
    const noBatches = await postJsonRpc(url, { ...alice, 'mcp-session-id': sid }, batch);
    assert.equal(noBatches.status, 400, 'protocol 2025-06-18 has no batches');
    const mismatch = await postJsonRpc(
      url,
      { ...alice, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-03-26' },
      ping,
    );
    assert.equal(mismatch.status, 400, "a protocol version other than the session's");
    const old = await openSession(url, alice, '2025-03-26');
    const sse = await postJsonRpc(url, { ...alice, 'mcp-session-id': old, accept: 'text/event-stream' }, [
      ping,
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'get-pet', arguments: { path_petId: '1' } },
      },
    ]);
    assert.equal(sse.status, 200);
    assert.match(sse.headers.get('content-type') ?? '', /^text\/event-stream/);
    const data = (await sse.text()).split('\n').find((l) => l.startsWith('data: '))!;
    const replies = JSON.parse(data.slice(6));
    assert.equal(replies.length, 2);
    assert.deepEqual(replies[1].result.structuredContent, { id: 1, name: 'Rex', tag: 'dog' });
    const note = await postJsonRpc(
      url,
      { ...alice, 'mcp-session-id': sid },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
    );
    assert.equal(note.status, 202);
    const unknown = await postJsonRpc(
      url,
      { ...alice, 'mcp-session-id': sid },
      { jsonrpc: '2.0', id: 3, method: 'resources/list' },
    );
    assert.equal(((await unknown.json()) as any).error.code, -32601);
    const get = await fetch(url, {
      headers: { ...alice, 'mcp-session-id': sid, accept: 'text/event-stream' },
    });
    assert.equal(get.status, 405);
    const unreadable = await fetch(url, {
      method: 'POST',
      headers: {
        ...alice,
        'mcp-session-id': sid,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/call"}',
    });
    assert.equal(unreadable.status, 400);
    assert.equal(((await unreadable.json()) as any).error.code, -32700);
  });

  test('a session opened on one data plane is served by another (sealed id, rotated secrets)', async () => {
    const other = await startDataPlane(
      {
        proxyListen: { host: '127.0.0.1', port: 0 },
        proxySslListen: null,
        statusListen: { host: '127.0.0.1', port: 0 },
        cpUrl: s.cp.cp.clusterUrl,
        dataDir: mkdtempSync(join(tmpdir(), 'tollgate-conv-dp-')),
        nodeId: '',
        allowedHosts: ['*'],
      },
      { log: () => undefined },
    );
    try {
      const { hash } = (await s.api('GET', '/config')).body;
      await waitFor('second data plane', async () => other.holder.current?.hash === hash, 10000);
      const sid = await openSession(mcpUrl('/pets-mcp'), alice);
      const call = {
        jsonrpc: '2.0',
        id: 5,
        method: 'tools/call',
        params: { name: 'get-pet', arguments: { path_petId: '2' } },
      };
      const there = await postJsonRpc(mcpUrl('/pets-mcp', other), { ...alice, 'mcp-session-id': sid }, call);
      assert.equal(there.status, 200, await there.clone().text());
      assert.equal(((await there.json()) as any).result.structuredContent.name, 'Tom');
      // Rotation: a new first secret seals, the old ones still open.
      const plugin = (await s.api('GET', '/routes/pets-mcp/plugins')).body.data.find(
        (p: any) => p.name === 'ai-mcp-proxy',
      );
      const patched = await s.api('PATCH', `/plugins/${plugin.id}`, {
        config: {
          server: {
            session: {
              strategy: 'client',
              client: { secrets: ['rotated-secret-0123', 'first-secret-0123'] },
            },
          },
        },
      });
      assert.equal(patched.status, 200, patched.text);
      await s.synced();
      const after = await postJsonRpc(mcpUrl('/pets-mcp'), { ...alice, 'mcp-session-id': sid }, call);
      assert.equal(after.status, 200);
    } finally {
      await other.close();
    }
  });

  test('analytics: one record per message, with the tool and the session', async () => {
    const client = await connectMcp(mcpUrl('/pets-mcp'), alice);
    await client.callTool({ name: 'get-pet', arguments: { path_petId: '1' } });
    await client.close();
    await waitFor(
      'analytics with the tool',
      async () => {
        const r = await s.api('GET', '/analytics/requests?route=pets-mcp&size=1000');
        return (r.body.data ?? []).some(
          (x: any) =>
            x.tool === 'get-pet' &&
            x.mcp_method === 'tools/call' &&
            x.consumer_username === 'alice' &&
            x.mcp_session_id &&
            x.detail?.audit?.allowed === true,
        );
      },
      15000,
    );
  });
});

describe('conversion-only + listener', () => {
  // A second REST service, aggregated with the first by one listener.
  let orders: PetstoreApi;
  before(async () => {
    orders = await startPetstoreApi();
    await mustCreate(s.api, '/services', { name: 'orders', url: orders.url });
    await mustCreate(s.api, '/services/orders/routes', { name: 'orders-api', paths: ['/orders'] });
    await mustCreate(s.api, '/routes/orders-api/plugins', {
      name: 'ai-mcp-proxy',
      tags: ['internal-tools'],
      config: {
        mode: 'conversion-only',
        default_acl: [{ scope: 'tools', allow: ['admin', 'developer'] }],
        tools: [
          {
            name: 'orders-list',
            description: 'List what the orders service has',
            method: 'GET',
            path: '/api/pets',
            parameters: [{ name: 'tag', in: 'query', schema: { type: 'string' } }],
          },
        ],
      },
    });
    await mustCreate(s.api, '/services', { name: 'inventory', url: `${api.url}/ignored` });
    await mustCreate(s.api, '/services/inventory/routes', { name: 'inventory-api', paths: ['/inventory'] });
    // The route's own plugins run on each call: this one adds the API's credential.
    await mustCreate(s.api, '/routes/inventory-api/plugins', {
      name: 'request-transformer-advanced',
      config: { add: { headers: ['x-api-key:internal-secret'] } },
    });
    await mustCreate(s.api, '/routes/inventory-api/plugins', {
      name: 'ai-mcp-proxy',
      tags: ['internal-tools'],
      config: {
        mode: 'conversion-only',
        default_acl: [{ scope: 'tools', allow: ['admin'] }],
        tools: [
          { name: 'inventory-echo', description: 'echo', method: 'GET', path: '/api/echo' },
          {
            name: 'inventory-pet',
            description: 'pet',
            method: 'GET',
            path: '/api/pets/{id}',
            parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
            acl: { allow: ['admin', 'developer'] },
          },
        ],
      },
    });
    await mustCreate(s.api, '/services', { name: 'listener-svc', url: 'http://127.0.0.1:9' });
    await mustCreate(s.api, '/services/listener-svc/routes', {
      name: 'internal-mcp',
      paths: ['/internal-mcp'],
    });
    await mustCreate(s.api, '/routes/internal-mcp/plugins', {
      name: 'key-auth',
      config: { key_names: ['apikey'] },
    });
    await mustCreate(s.api, '/routes/internal-mcp/plugins', {
      name: 'ai-mcp-proxy',
      config: { mode: 'listener', include_consumer_groups: true, server: { tag: 'internal-tools' } },
    });
    await s.synced();
  });
  after(async () => {
    await orders?.close();
  });

  test('the listener serves every tagged tool, each call through its own route and plugins', async () => {
    const client = await connectMcp(mcpUrl('/internal-mcp'), alice);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['inventory-echo', 'inventory-pet', 'orders-list']);
    const fromOrders = await client.callTool({ name: 'orders-list', arguments: { query_tag: 'cat' } });
    assert.match((fromOrders.content as any)[0].text, /"Tom"/);
    assert.ok(
      orders.received.some((r) => r.url === '/api/pets?tag=cat'),
      'the second service was called',
    );
    assert.ok(!api.received.some((r) => r.url === '/api/pets?tag=cat'), 'and only it');
    const r = await client.callTool({ name: 'inventory-echo', arguments: {} });
    const seen = JSON.parse((r.content as any)[0].text);
    assert.equal(seen.url, '/api/echo', 'the tool path is the upstream path');
    assert.equal(seen.headers['x-api-key'], 'internal-secret', "the conversion route's plugins ran");
    const pet = await client.callTool({ name: 'inventory-pet', arguments: { path_id: 2 } });
    assert.match((pet.content as any)[0].text, /"Tom"/);
    await client.close();
    // The conversion-only route itself stays a plain REST route.
    const plain = await fetch(`${s.dp.proxyUrl}/inventory`, { headers: { host: 'gw.test' } });
    assert.notEqual(plain.status, 500);
  });

  test('a listener nobody authenticates on cannot call tools of a route that authenticates', async () => {
    await mustCreate(s.api, '/services/inventory/routes', { name: 'locked-api', paths: ['/locked'] });
    await mustCreate(s.api, '/routes/locked-api/plugins', {
      name: 'key-auth',
      config: { key_names: ['apikey'] },
    });
    await mustCreate(s.api, '/routes/locked-api/plugins', {
      name: 'ai-mcp-proxy',
      tags: ['locked'],
      config: {
        mode: 'conversion-only',
        tools: [{ name: 'locked-echo', description: 'e', method: 'GET', path: '/api/echo' }],
      },
    });
    await mustCreate(s.api, '/services/listener-svc/routes', { name: 'open-mcp', paths: ['/open-mcp'] });
    await mustCreate(s.api, '/routes/open-mcp/plugins', {
      name: 'ai-mcp-proxy',
      config: { mode: 'listener', server: { tag: 'locked' } },
    });
    await s.synced();
    const client = await connectMcp(mcpUrl('/open-mcp'), {});
    const before = api.received.length;
    const r = await client.callTool({ name: 'locked-echo', arguments: {} });
    assert.equal(r.isError, true);
    assert.match((r.content as any)[0].text, /HTTP 401/);
    assert.equal(api.received.length, before, 'nothing reached the API');
    await client.close();
  });

  test('the anonymous consumer of a listener is no authentication for a route that requires it', async () => {
    await mustCreate(s.api, '/consumers', { username: 'guest' });
    await mustCreate(s.api, '/services/listener-svc/routes', { name: 'anon-mcp', paths: ['/anon-mcp'] });
    await mustCreate(s.api, '/routes/anon-mcp/plugins', {
      name: 'key-auth',
      config: { key_names: ['apikey'], anonymous: 'guest' },
    });
    await mustCreate(s.api, '/routes/anon-mcp/plugins', {
      name: 'ai-mcp-proxy',
      config: { mode: 'listener', server: { tag: 'locked' } },
    });
    // The locked route's stored credential, which must never go with an unauthenticated call.
    await mustCreate(s.api, '/routes/locked-api/plugins', {
      name: 'request-transformer-advanced',
      config: { add: { headers: ['x-api-key:locked-secret'] } },
    });
    await s.synced();
    const before = api.received.length;
    const client = await connectMcp(mcpUrl('/anon-mcp'), {});
    const r = await client.callTool({ name: 'locked-echo', arguments: {} });
    assert.equal(r.isError, true);
    assert.match((r.content as any)[0].text, /HTTP 401/);
    await client.close();
    assert.equal(api.received.length, before, 'nothing reached the API');
    // A real key on the same listener is authentication: the call goes, with the credential.
    const authed = await connectMcp(mcpUrl('/anon-mcp'), alice);
    const ok = await authed.callTool({ name: 'locked-echo', arguments: {} });
    assert.equal(ok.isError, undefined, JSON.stringify(ok));
    assert.equal(JSON.parse((ok.content as any)[0].text).headers['x-api-key'], 'locked-secret');
    await authed.close();
  });

  test("a tool is judged with its defining plugin's identity settings as well as the listener's", async () => {
    await mustCreate(s.api, '/services/inventory/routes', { name: 'grouped-api', paths: ['/grouped'] });
    await mustCreate(s.api, '/routes/grouped-api/plugins', {
      name: 'ai-mcp-proxy',
      tags: ['grouped'],
      config: {
        mode: 'conversion-only',
        include_consumer_groups: true,
        default_acl: [{ scope: 'tools', deny: ['developer'] }],
        tools: [{ name: 'grouped-echo', description: 'e', method: 'GET', path: '/api/echo' }],
      },
    });
    await mustCreate(s.api, '/services/listener-svc/routes', { name: 'plain-mcp', paths: ['/plain-mcp'] });
    await mustCreate(s.api, '/routes/plain-mcp/plugins', {
      name: 'key-auth',
      config: { key_names: ['apikey'] },
    });
    await mustCreate(s.api, '/routes/plain-mcp/plugins', {
      name: 'ai-mcp-proxy',
      // The listener itself does not look at groups: the tool's plugin does.
      config: { mode: 'listener', include_consumer_groups: false, server: { tag: 'grouped' } },
    });
    await s.synced();
    const before = api.received.length;
    const dev = await connectMcp(mcpUrl('/plain-mcp'), bob);
    assert.deepEqual((await dev.listTools()).tools, []);
    await assert.rejects(
      dev.callTool({ name: 'grouped-echo', arguments: {} }),
      (err: any) => err.code === -32602 && /developer/.test(err.message),
    );
    await dev.close();
    assert.equal(api.received.length, before, 'the denied call was never sent');
    const admin = await connectMcp(mcpUrl('/plain-mcp'), alice);
    assert.deepEqual(
      (await admin.listTools()).tools.map((t) => t.name),
      ['grouped-echo'],
    );
    await admin.close();
  });

  test('URL-override headers of the client never reach a REST upstream', async () => {
    const client = await connectMcp(mcpUrl('/internal-mcp'), {
      ...alice,
      'x-original-url': '/api/admin',
      'x-rewrite-url': '/api/admin',
      'x-forwarded-prefix': '/api/admin',
      'x-envoy-original-path': '/api/admin',
    });
    const seen = JSON.parse(
      ((await client.callTool({ name: 'inventory-echo', arguments: {} })).content as any)[0].text,
    );
    for (const h of ['x-original-url', 'x-rewrite-url', 'x-forwarded-prefix', 'x-envoy-original-path'])
      assert.equal(seen.headers[h], undefined, h);
    await client.close();
  });

  test('ACLs of the tagged plugin apply to the listener’s callers', async () => {
    const client = await connectMcp(mcpUrl('/internal-mcp'), bob);
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name).sort(), [
      'inventory-pet',
      'orders-list',
    ]);
    await assert.rejects(
      client.callTool({ name: 'inventory-echo', arguments: {} }),
      (err: any) => err.code === -32602,
    );
    await client.close();
  });
});

describe('Admin API refuses tool definitions a data plane could not serve', () => {
  const conv = (tools: unknown[], extra: Record<string, unknown> = {}) => ({
    name: 'ai-mcp-proxy',
    config: { mode: 'conversion-listener', tools, ...extra },
  });
  const tool = (over: Record<string, unknown>) => ({
    name: 't',
    description: 'd',
    method: 'GET',
    path: '/x',
    ...over,
  });

  before(async () => {
    await mustCreate(s.api, '/services/petstore/routes', { name: 'bad-defs', paths: ['/bad-defs'] });
    await mustCreate(s.api, '/services/petstore/routes', { name: 'regex-route', paths: ['~/re/\\d+$'] });
  });

  test('unresolvable templates, unknown locations, duplicates, invalid schemas', async () => {
    const cases: [unknown, RegExp][] = [
      [conv([tool({ path: '/p/{id}' })]), /template '\{id\}' has no parameter with in: path/],
      [conv([tool({ path: '/p/{id', parameters: [] })]), /unbalanced braces/],
      [
        conv([tool({ parameters: [{ name: 'q', in: 'body' }] })]),
        /expected one of: path, query, header, cookie/,
      ],
      [
        conv([tool({ parameters: [{ name: 'id', in: 'path' }] })]),
        /path parameter 'id' is not in the path template/,
      ],
      [conv([tool({}), tool({})]), /tool name 't' is defined twice/],
      [conv([tool({ name: 'has space' })]), /not a valid MCP tool name/],
      [conv([tool({ method: null })]), /config.tools.1.method: required field missing/],
      [
        conv([tool({ parameters: [{ name: 'q', in: 'query', schema: { type: 'nope' } }] })]),
        /input schema: invalid JSON Schema/,
      ],
      [conv([tool({ request_body: { content: { 'text/plain': {} } } })]), /needs a schema for one of/],
      [
        conv([tool({ parameters: [{ name: 'Host', in: 'header' }] })]),
        /header 'Host' is the gateway's to set/,
      ],
      [conv([tool({ headers: { 'x-a': ['ok\r\nx-b: 1'] } })]), /visible ASCII/],
      [conv([tool({ headers: { 'content-length': ['1'] } })]), /not a header a tool may set/],
      [
        conv([
          tool({
            parameters: [{ name: 'q', in: 'query', schema: { type: 'integer', exclusiveMinimum: true } }],
          }),
        ]),
        /input schema: invalid JSON Schema/,
      ],
      [conv([tool({})], { server: { session: { strategy: 'redis' } } }), /strategy 'redis' is not supported/],
    ];
    for (const [body, message] of cases) {
      const r = await s.api('POST', '/routes/bad-defs/plugins', body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.body.name, 'schema violation');
      assert.match(r.body.message, message, r.text);
    }
    const relative = await s.api('POST', '/routes/regex-route/plugins', conv([tool({ path: 'relative' })]));
    assert.equal(relative.status, 400);
    assert.match(relative.body.message, /relative path needs the plugin on a route with a plain/);
    const global = await s.api('POST', '/plugins', conv([tool({})]));
    assert.equal(global.status, 400);
    assert.match(global.body.message, /must be on a route/);
  });

  test("duplicate tool names in a listener's set are refused, whichever plugin is written last", async () => {
    const r = await s.api('POST', '/routes/bad-defs/plugins', {
      name: 'ai-mcp-proxy',
      tags: ['internal-tools'],
      config: { mode: 'conversion-only', tools: [tool({ name: 'inventory-echo' })] },
    });
    assert.equal(r.status, 400, r.text);
    assert.match(
      r.body.message,
      /tool name 'inventory-echo' is defined by two plugins tagged 'internal-tools'/,
    );
    // Nothing was half-applied: the listener still serves its two tools.
    const client = await connectMcp(mcpUrl('/internal-mcp'), alice);
    assert.equal((await client.listTools()).tools.length, 3);
    await client.close();
  });
});
