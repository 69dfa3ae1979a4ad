/**
 * Kong's traffic plugins a Kong user migrates with — request-termination, correlation-id,
 * request-size-limiting, ip-restriction — one folder each, driven as a Kong user would: their
 * schemas and checks through the Admin API, their behaviour on real traffic, and a decK file
 * through `tollgate sync`, `diff` and `dump`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mustCreate, sendThrough, startStack, type Stack } from '../../helpers/stack';
import { startEchoUpstream } from '../../helpers/topology';
import { runTollgate } from '../../helpers/process';
import { syncCleanly, deckEnv } from '../../helpers/deck';

let s: Stack;
let echo: Awaited<ReturnType<typeof startEchoUpstream>>;
const send = (path: string, opts: Parameters<typeof sendThrough>[2] = {}) =>
  sendThrough(s.dp.proxyUrl, path, opts);

/** A route `/<name>` on the echo service with `plugin`. */
async function routeWith(name: string, plugin: Record<string, unknown>) {
  await mustCreate(s.api, '/services/svc/routes', { name, paths: [`/${name}`] });
  return mustCreate(s.api, `/routes/${name}/plugins`, plugin);
}

before(async () => {
  s = await startStack();
  echo = await startEchoUpstream();
  await mustCreate(s.api, '/services', { name: 'svc', url: echo.url });
});
after(async () => {
  await s?.close();
  await echo?.close();
});

describe('Admin API: Kong’s schemas and checks', () => {
  test('defaults as Kong fills them', async () => {
    const schema = async (name: string) => (await s.api('GET', `/schemas/plugins/${name}`)).body;
    for (const name of ['request-termination', 'correlation-id', 'request-size-limiting', 'ip-restriction'])
      assert.ok((await schema(name)).fields, name);
    await mustCreate(s.api, '/services/svc/routes', { name: 'defaults', paths: ['/defaults'] });
    const rt = await mustCreate(s.api, '/routes/defaults/plugins', { name: 'request-termination' });
    assert.equal(rt.config.status_code, 503);
    assert.equal(rt.config.echo, false);
    const cid = await mustCreate(s.api, '/routes/defaults/plugins', { name: 'correlation-id' });
    assert.deepEqual(cid.config, {
      header_name: 'Kong-Request-ID',
      generator: 'uuid#counter',
      echo_downstream: false,
    });
    const rsl = await mustCreate(s.api, '/routes/defaults/plugins', { name: 'request-size-limiting' });
    assert.deepEqual(rsl.config, {
      allowed_payload_size: 128,
      size_unit: 'megabytes',
      require_content_length: false,
    });
    assert.deepEqual(rsl.protocols, ['grpc', 'grpcs', 'http', 'https']);
    await s.api('DELETE', '/routes/defaults');
  });

  test('invalid configs are schema violations, nothing stored', async () => {
    const bad = [
      { name: 'request-termination', config: { message: 'm', body: 'b' } },
      { name: 'request-termination', config: { content_type: 'text/plain' } },
      { name: 'request-termination', config: { echo: true, body: 'b' } },
      { name: 'request-termination', config: { status_code: 600 } },
      { name: 'ip-restriction', config: {} },
      { name: 'ip-restriction', config: { allow: ['10.0.0.0/33'] } },
      { name: 'ip-restriction', config: { deny: ['not-an-ip'] } },
      { name: 'request-size-limiting', config: { size_unit: 'gigabytes' } },
      { name: 'correlation-id', config: { generator: 'random' } },
    ];
    for (const plugin of bad) {
      const r = await s.api('POST', '/plugins', plugin);
      assert.equal(r.status, 400, JSON.stringify(plugin));
      assert.equal(r.body.name, 'schema violation', JSON.stringify(r.body));
    }
    assert.equal((await s.api('GET', '/plugins')).body.data.length, 0);
  });
});

describe('on real traffic', () => {
  before(async () => {
    await routeWith('closed', {
      name: 'request-termination',
      config: { status_code: 403, message: 'So long' },
    });
    await routeWith('raw', {
      name: 'request-termination',
      config: { status_code: 418, body: '<p>teapot</p>', content_type: 'text/html' },
    });
    await routeWith('triggered', { name: 'request-termination', config: { trigger: 'X-Stop' } });
    await routeWith('echoed', { name: 'request-termination', config: { echo: true, status_code: 200 } });
    await routeWith('correlated', { name: 'correlation-id', config: { echo_downstream: true } });
    await routeWith('counted', {
      name: 'correlation-id',
      config: { header_name: 'X-Trace', generator: 'uuid' },
    });
    await routeWith('small', {
      name: 'request-size-limiting',
      config: { allowed_payload_size: 10, size_unit: 'bytes' },
    });
    await routeWith('sized', {
      name: 'request-size-limiting',
      config: { allowed_payload_size: 1, size_unit: 'kilobytes', require_content_length: true },
    });
    await routeWith('loopback-denied', {
      name: 'ip-restriction',
      config: { deny: ['127.0.0.0/8'], status: 401, message: 'Go away' },
    });
    await routeWith('loopback-allowed', { name: 'ip-restriction', config: { allow: ['127.0.0.1', '::1'] } });
    await routeWith('elsewhere-only', { name: 'ip-restriction', config: { allow: ['10.0.0.0/8'] } });
    await routeWith('deny-wins', {
      name: 'ip-restriction',
      config: { allow: ['127.0.0.0/8'], deny: ['127.0.0.1'] },
    });
    await s.synced();
  });

  test('request-termination: status and message, a raw body, a trigger, an echo', async () => {
    const closed = await send('/closed');
    assert.equal(closed.status, 403);
    assert.deepEqual(closed.json, { message: 'So long' });
    const raw = await send('/raw');
    assert.equal(raw.status, 418);
    assert.equal(raw.body, '<p>teapot</p>');
    assert.match(String(raw.headers['content-type']), /text\/html/);
    const passes = await send('/triggered/x');
    assert.equal(passes.status, 200, 'no trigger: proxied');
    assert.equal(passes.json.url, '/x');
    const byHeader = await send('/triggered', { headers: { 'x-stop': '1' } });
    assert.equal(byHeader.status, 503);
    assert.deepEqual(byHeader.json, { message: 'Service unavailable' });
    assert.equal((await send('/triggered?X-Stop=1')).status, 503, 'a query argument triggers too');
    const echoed = await send('/echoed/a?b=c', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"x":1}',
    });
    assert.equal(echoed.status, 200);
    assert.equal(echoed.json.request.method, 'POST');
    assert.deepEqual(echoed.json.request.query, { b: 'c' });
    assert.deepEqual(echoed.json.request.body, { x: 1 });
    assert.equal(echoed.json.matched_route.name, 'echoed');
  });

  test('correlation-id: generated when absent, kept when sent, echoed when asked', async () => {
    const first = await send('/correlated');
    const id = first.json.headers['kong-request-id'];
    assert.match(id, /^[0-9a-f-]{36}#\d+$/);
    assert.equal(first.headers['kong-request-id'], id, 'echoed downstream');
    const second = await send('/correlated');
    const [uuid, n] = id.split('#');
    assert.equal(second.json.headers['kong-request-id'], `${uuid}#${Number(n) + 1}`);
    const kept = await send('/correlated', { headers: { 'kong-request-id': 'mine' } });
    assert.equal(kept.json.headers['kong-request-id'], 'mine');
    assert.equal(kept.headers['kong-request-id'], 'mine');
    const plain = await send('/counted');
    assert.match(plain.json.headers['x-trace'], /^[0-9a-f-]{36}$/);
    assert.equal(plain.headers['x-trace'], undefined, 'not echoed');
  });

  test('request-size-limiting: 413 over the limit, 417 to Expect, 411 without a length', async () => {
    assert.equal((await send('/small', { method: 'POST', body: '0123456789' })).status, 200);
    const over = await send('/small', { method: 'POST', body: '0123456789A' });
    assert.equal(over.status, 413);
    assert.equal(over.json.message, 'Request size limit exceeded');
    // A chunked body (no Content-Length) is measured as it is read.
    const chunked = await send('/small', {
      method: 'POST',
      headers: { 'transfer-encoding': 'chunked' },
      body: 'x'.repeat(64),
    });
    assert.equal(chunked.status, 413);
    assert.equal(
      (
        await send('/sized', {
          method: 'POST',
          headers: { expect: '100-continue', 'content-length': '2000' },
          body: 'y'.repeat(2000),
        })
      ).status,
      417,
    );
    const unsized = await send('/sized', {
      method: 'POST',
      headers: { 'transfer-encoding': 'chunked' },
      body: 'z',
    });
    assert.equal(unsized.status, 411);
    assert.equal(unsized.json.message, 'A valid Content-Length header is required');
  });

  test('ip-restriction: deny first, then allow; status and message configurable', async () => {
    const denied = await send('/loopback-denied');
    assert.equal(denied.status, 401);
    assert.equal(denied.json.message, 'Go away');
    assert.equal((await send('/loopback-allowed')).status, 200);
    const elsewhere = await send('/elsewhere-only');
    assert.equal(elsewhere.status, 403);
    assert.equal(elsewhere.json.message, 'Your IP address is not allowed');
    assert.equal((await send('/deny-wins')).status, 403);
  });
});

test('a decK file with them: sync, a clean diff, a dump that syncs back unchanged', async () => {
  const { dir } = await syncCleanly(s, [
    '_format_version: "3.0"',
    '_info:',
    '  select_tags: [deck-traffic]',
    'services:',
    `  - name: deck-svc`,
    `    url: ${echo.url}`,
    '    routes:',
    '      - name: deck-route',
    '        paths: [/deck]',
    '        plugins:',
    '          - name: correlation-id',
    '            config: { header_name: X-Deck-Id, echo_downstream: true }',
    '          - name: request-size-limiting',
    '            config: { allowed_payload_size: 4, size_unit: bytes }',
    '          - name: ip-restriction',
    '            config: { allow: [127.0.0.1, "::1"] }',
  ]);
  const env = deckEnv(s);
  const dumpFile = join(dir, 'dump.yaml');
  const dump = await runTollgate(['dump', '--select-tag', 'deck-traffic', '-o', dumpFile], { env });
  assert.equal(dump.code, 0, dump.stderr);
  const text = readFileSync(dumpFile, 'utf8');
  for (const name of ['correlation-id', 'request-size-limiting', 'ip-restriction'])
    assert.match(text, new RegExp(name));
  const resync = await runTollgate(['sync', dumpFile], { env });
  assert.equal(resync.code, 0, resync.stderr);
  assert.match(resync.stdout, /Created: 0\n {2}Updated: 0\n {2}Deleted: 0/);
  await s.synced();
  const r = await send('/deck', { method: 'POST', body: 'tiny' });
  assert.equal(r.status, 200);
  assert.ok(r.headers['x-deck-id']);
  assert.equal((await send('/deck', { method: 'POST', body: 'larger' })).status, 413);
});
