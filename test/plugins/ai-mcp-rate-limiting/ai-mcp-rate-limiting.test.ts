/**
 * ai-mcp-rate-limiting: per-tool quotas for consumers and groups, driven by the official SDK
 * clients in both eras (SDK v2 negotiating 2026-07-28, the 1.x SDK on 2025-11-25) through a
 * passthrough route and a conversion route: a call over its quota is the tool's error result
 * (with the time to wait) the agent reads, never forwarded; both eras count in one quota; a
 * batch counts each call and costs nothing when refused; the Redis policy counts in Redis; the
 * config round-trips through decK.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSdkV2NotesServer } from '../../fixtures/sdk-v2-notes-server';
import { connectMcp, connectMcpV2 } from '../../helpers/mcp';
import { mustCreate, sendThrough, startStack, type Stack } from '../../helpers/stack';
import { startPetstoreApi, type PetstoreApi } from '../../fixtures/petstore-api';
import { PET_TOOLS } from '../../fixtures/petstore-tools';
import { startRedis, type TestRedis } from '../../helpers/redis';
import { syncCleanly } from '../../helpers/deck';
import { waitFor } from '../../helpers/topology';

let s: Stack;
let upstream: Server;
let petstore: PetstoreApi;
let redis: TestRedis;
const ran: string[] = [];
const keyOf = (user: string) => ({ apikey: `${user}-key` });

before(async () => {
  upstream = await startSdkV2NotesServer(new Map(['read_notes', 'write_notes'].map((n) => [n, n])), ran);
  petstore = await startPetstoreApi();
  redis = await startRedis();
  s = await startStack({ allowedHosts: [] });
  await mustCreate(s.api, '/consumer_groups', { name: 'developer' });
  for (const user of ['alice', 'bob', 'carol', 'dave']) {
    await mustCreate(s.api, '/consumers', { username: user });
    await mustCreate(s.api, `/consumers/${user}/key-auth`, { key: `${user}-key` });
  }
  for (const user of ['alice', 'carol', 'dave'])
    await mustCreate(s.api, '/consumer_groups/developer/consumers', { consumer: user });
  const port = (upstream.address() as AddressInfo).port;
  await mustCreate(s.api, '/services', { name: 'notes', url: `http://127.0.0.1:${port}/mcp` });
  for (const [route, policy] of [
    ['notes', 'local'],
    ['notes-redis', 'redis'],
  ] as const) {
    await mustCreate(s.api, '/services/notes/routes', { name: route, paths: [`/${route}`] });
    await mustCreate(s.api, `/routes/${route}/plugins`, {
      name: 'key-auth',
      config: { key_names: ['apikey'] },
    });
    await mustCreate(s.api, `/routes/${route}/plugins`, {
      name: 'ai-mcp-proxy',
      config: { mode: 'passthrough-listener' },
    });
    await mustCreate(s.api, `/routes/${route}/plugins`, {
      name: 'ai-mcp-rate-limiting',
      config: {
        limits: [{ tools: ['write_notes'], consumer_groups: ['developer'], day: 3 }],
        policy,
        redis: { host: '127.0.0.1', port: redis.port },
        fault_tolerant: false,
      },
    });
  }
  await mustCreate(s.api, '/services', { name: 'petstore', url: petstore.url });
  await mustCreate(s.api, '/services/petstore/routes', { name: 'pets', paths: ['/pets'] });
  await mustCreate(s.api, '/routes/pets/plugins', { name: 'key-auth', config: { key_names: ['apikey'] } });
  await mustCreate(s.api, '/routes/pets/plugins', {
    name: 'ai-mcp-proxy',
    config: { mode: 'conversion-listener', include_consumer_groups: true, tools: PET_TOOLS },
  });
  await mustCreate(s.api, '/routes/pets/plugins', {
    name: 'ai-mcp-rate-limiting',
    config: { limits: [{ tools: ['*'], consumers: ['alice'], day: 2 }] },
  });
  await s.synced();
});

after(async () => {
  await s?.close();
  upstream?.close();
  await petstore?.close();
  await redis?.stop();
});

const v2 = (path: string, user: string) => connectMcpV2(`${s.dp.proxyUrl}${path}`, keyOf(user));
const v1 = (path: string, user: string) => connectMcp(`${s.dp.proxyUrl}${path}`, keyOf(user));

const text = (r: any) => (r.content as { text: string }[]).map((c) => c.text).join('');

test('over its quota, a call is the tool’s error result in both eras, never forwarded; one quota for both', async () => {
  const modern = await v2('/notes', 'alice');
  assert.equal(modern.getNegotiatedProtocolVersion(), '2026-07-28');
  await modern.listTools(); // listed: the metrics name the tool
  for (let i = 0; i < 3; i++) {
    const r = await modern.callTool({ name: 'write_notes', arguments: {} });
    assert.equal(r.isError ?? false, false, text(r));
  }
  const before = ran.length;
  const over = await modern.callTool({ name: 'write_notes', arguments: {} });
  assert.equal(over.isError, true);
  assert.match(
    text(over),
    /^Tool call quota exceeded: 3 calls of 'write_notes' per day; try again in \d+ s$/,
  );
  assert.ok(Number((over._meta as any)['dev.tollgate/retry-after']) > 0);
  assert.equal(ran.length, before, 'the refused call never ran upstream');
  const read = await modern.callTool({ name: 'read_notes', arguments: {} });
  assert.equal(read.isError ?? false, false, 'other tools have no quota');
  await modern.close();

  const legacy = await v1('/notes', 'alice');
  const alsoOver = await legacy.callTool({ name: 'write_notes', arguments: {} });
  assert.equal(alsoOver.isError, true, 'the 2025-11-25 client shares the quota');
  assert.match(text(alsoOver), /quota exceeded/);
  await legacy.close();

  const bob = await v1('/notes', 'bob');
  for (let i = 0; i < 5; i++)
    assert.equal((await bob.callTool({ name: 'write_notes', arguments: {} })).isError ?? false, false);
  await bob.close();

  const metrics = await (await fetch(`${s.dp.statusUrl}/metrics`)).text();
  assert.match(metrics, /tool="write_notes",decision="limited"\} [1-9]/);
  // And in analytics: the console's MCP overview counts the calls over their quota.
  await waitFor('the limited calls in analytics', async () => {
    const o = (await s.api('GET', '/mcp/overview')).body;
    return o.limited?.last_hour >= 2 && o.limited.recent[0].consumer_username === 'alice';
  });
});

test('a batch counts each call, and a batch over the quota costs nothing', async () => {
  const call = (id: number) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'write_notes', arguments: {} },
  });
  const post = (body: unknown) =>
    sendThrough(s.dp.proxyUrl, '/notes', {
      method: 'POST',
      headers: {
        ...keyOf('carol'),
        host: new URL(s.dp.proxyUrl).host,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-03-26',
      },
      body: JSON.stringify(body),
    });
  // Two calls fit in 3 (forwarded, whatever the upstream makes of a batch); two more do not.
  const first = await post([call(1), call(2)]);
  assert.notEqual(first.status, 500, first.body);
  const refused = await post([call(3), call(4)]);
  assert.equal(refused.status, 200, refused.body);
  assert.deepEqual(
    refused.json.map((r: any) => r.result?.isError),
    [true, true],
  );
  const one = await post(call(5));
  assert.equal(one.json?.result?.isError, undefined, `the refused batch cost nothing: ${one.body}`);
  const last = await post(call(6));
  assert.equal(last.json.result.isError, true);
});

test('the redis policy counts in Redis; Redis down and not fault tolerant, a call is refused with an error', async () => {
  const client = await v1('/notes-redis', 'dave');
  for (let i = 0; i < 3; i++)
    assert.equal((await client.callTool({ name: 'write_notes', arguments: {} })).isError ?? false, false);
  assert.equal((await client.callTool({ name: 'write_notes', arguments: {} })).isError, true);
  await redis.stop();
  try {
    const before = ran.length;
    const failed = await client.callTool({ name: 'write_notes', arguments: {} }).catch((e) => e);
    assert.match(String(failed?.message ?? JSON.stringify(failed)), /quota could not be checked/);
    assert.equal(ran.length, before);
  } finally {
    await redis.start();
  }
  await client.close();
});

test('where the gateway is the server, the quota holds too, in both eras', async () => {
  const modern = await v2('/pets', 'alice');
  const args = { name: 'get-pet', arguments: { path_petId: '1' } };
  assert.equal((await modern.callTool(args)).isError ?? false, false);
  assert.equal((await modern.callTool(args)).isError ?? false, false);
  const over = await modern.callTool(args);
  assert.equal(over.isError, true);
  assert.match(text(over), /2 tool calls per day/);
  await modern.close();
  const legacy = await v1('/pets', 'alice');
  assert.equal((await legacy.callTool(args)).isError, true);
  await legacy.close();
  const carol = await v1('/pets', 'carol');
  assert.equal((await carol.callTool(args)).isError ?? false, false, 'the limit is alice’s');
  await carol.close();
});

test('schema checks, and the decK file round-trips', async () => {
  const none = await s.api('POST', '/plugins', {
    name: 'ai-mcp-rate-limiting',
    config: { limits: [{ tools: ['x'] }] },
  });
  assert.equal(none.status, 400, none.text);
  const missing = await s.api('POST', '/plugins', { name: 'ai-mcp-rate-limiting', config: {} });
  assert.equal(missing.status, 400, missing.text);
  assert.equal(missing.body.fields.config.limits, 'required field missing');
  await syncCleanly(s, [
    '_format_version: "3.0"',
    '_info: { select_tags: [quota-deck] }',
    'services:',
    '  - name: quota-deck',
    `    url: ${petstore.url}`,
    '    routes:',
    '      - name: quota-deck',
    '        paths: [/quota-deck]',
    '        plugins:',
    '          - name: ai-mcp-proxy',
    '            config: { mode: passthrough-listener }',
    '          - name: ai-mcp-rate-limiting',
    '            config:',
    '              limit_by: consumer-group',
    '              limits:',
    '                - tools: [create_issue, update_issue]',
    '                  consumer_groups: [developer]',
    '                  day: 20',
    '                - tools: ["*"]',
    '                  hour: 100',
  ]);
});
