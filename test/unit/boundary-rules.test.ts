import { test } from 'node:test';
import assert from 'node:assert/strict';
import { steerablePath } from '../../data-plane/proxy/request-guard';
import { isLoopbackName, rebindingGuard } from '../../data-plane/proxy/dns-rebinding';
import { methodNameProblem } from '../../data-plane/mcp/methods';
import { skeleton } from '../../shared/mcp/name-skeleton';
import { parseJsonRpcBody } from '../../data-plane/mcp/jsonrpc';
import { filterTools, toolLists } from '../../data-plane/mcp/tools-filter';
import { inspectSseEvent } from '../../data-plane/mcp/response-inspector';
import { jsonValuesTransform } from '../../data-plane/mcp/json-values';
import { sseTransform } from '../../data-plane/mcp/sse';
import { storableText } from '../../control-plane/analytics/record-validation';
import { terminalSafe } from '../../cli/terminal-text';

test('steerable paths: every encoding of a slash, backslash, dot segment or NUL', () => {
  for (const p of [
    '/a/..%2Fb',
    '/a/%2f',
    '/a/%5C',
    '/a/%5c..',
    '/a/%252F',
    '/a/%25252F',
    '/a/%2e%2e/b',
    '/a/%252e%252e/b',
    '/a/..;x/b',
    '/a/./b',
    '/a/../b',
    '/a/%c0%ae%c0%ae/b',
    '/a/%EF%BC%8F',
    '/a/%EF%BC%8E%EF%BC%8E/b',
    '/a/%00',
    '/a\\b',
    '/a/%ff',
  ])
    assert.notEqual(steerablePath(p), null, p);
  for (const p of [
    '/',
    '/a/b',
    '/a/b.c/d..e',
    '/a/%41%42',
    '/a/%20x',
    '/a/...',
    '/a/.well-known/x',
    '/caf%C3%A9',
  ])
    assert.equal(steerablePath(p), null, p);
});

test('loopback names and the rebinding guard', () => {
  for (const h of [
    'localhost',
    'LOCALHOST',
    'app.localhost',
    '127.0.0.1',
    '127.1.2.3',
    '::1',
    '[::1]',
    'localhost.',
  ])
    assert.ok(isLoopbackName(h), h);
  for (const h of [
    'evil.example',
    '127.0.0.1.nip.io',
    '10.0.0.1',
    '0.0.0.0',
    'localhost.evil',
    '::ffff:7f00:1',
  ])
    assert.ok(!isLoopbackName(h), h);
  assert.equal(rebindingGuard('0.0.0.0', []), null, 'non-loopback listeners keep Kong behaviour');
  assert.equal(rebindingGuard('127.0.0.1', ['*']), null);
  const g = rebindingGuard('127.0.0.1', ['mcp.internal'])!;
  assert.equal(g.check('localhost', undefined), null);
  assert.equal(g.check('mcp.internal', 'http://mcp.internal:3000'), null);
  assert.match(g.check('evil.example', undefined)!, /not a loopback name/);
  assert.match(g.check('localhost', 'http://evil.example')!, /not a loopback origin/);
  assert.match(g.check('localhost', 'null')!, /not a URL/);
  assert.match(g.check('localhost', ['http://localhost', 'http://evil.example'])!, /more than one/);
});

test('method names: exact, near misses refused', () => {
  assert.equal(methodNameProblem('tools/call'), null);
  assert.equal(methodNameProblem('vendor/custom.thing'), null);
  for (const m of [
    'Tools/Call',
    'tools/call ',
    'tools//call',
    '/tools/call',
    'tools\u200b/call',
    'ｔools/call',
    'tools\\call',
  ])
    assert.match(methodNameProblem(m)!, /is not 'tools\/call'/, m);
  assert.match(methodNameProblem('vendor thing')!, /visible ASCII/);
  assert.equal(skeleton('Push-Files', true), skeleton('push_files', true));
});

test('the forwarded body is the judged one, re-written with exact digits', () => {
  const r = parseJsonRpcBody(
    '\uFEFF { "jsonrpc":"2.0", "id":9007199254740991, "method":"tools/call", "params":{"name":"a\\u0062","arguments":{"big":1.50e400,"n":123456789012345678901}} }',
  );
  assert.ok(r.ok);
  assert.equal(
    r.canonical,
    '{"jsonrpc":"2.0","id":9007199254740991,"method":"tools/call","params":{"name":"ab","arguments":{"big":1.50e400,"n":123456789012345678901}}}',
  );
  for (const bad of [
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"},"extra":1}',
    '{"jsonrpc":"2.0","id":1,"method":"ping","Method":"tools/call"}',
    '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"x"}}',
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","__proto__":{}}}',
    '{"jsonrpc":"2.0","id":1,"method":"x\\ud800"}',
    '',
  ]) {
    const p = parseJsonRpcBody(bad);
    assert.ok(!p.ok, bad);
  }
});

test('tools/list filtering reads every result.tools, any id; unreadable results become errors', async () => {
  const allowed = (n: string) => n === 'ok';
  const list = (id: unknown) => ({
    jsonrpc: '2.0',
    id,
    result: { tools: [{ name: 'ok' }, { name: 'no' }, 'junk'] },
  });
  assert.deepEqual(filterTools(list('x'), allowed), {
    jsonrpc: '2.0',
    id: 'x',
    result: { tools: [{ name: 'ok' }] },
  });
  const batch = filterTools(
    [list(null), { jsonrpc: '2.0', id: 2, result: { tools: { no: {} } } }],
    allowed,
  ) as any[];
  assert.deepEqual(batch[0].result.tools, [{ name: 'ok' }]);
  assert.equal(batch[1].error.code, -32603);
  const visit = (v: unknown) => filterTools(v, allowed);
  assert.equal(inspectSseEvent({ data: '', id: 'p' }, visit).data, '');
  assert.match(inspectSseEvent({ data: 'not json' }, visit).data, /-32603/);
  assert.doesNotMatch(inspectSseEvent({ data: `\uFEFF${JSON.stringify(list(1))}` }, visit).data, /"no"/);
  const sse = sseTransform((e) => inspectSseEvent(e, visit), { beatOnly: true });
  const chunks: Buffer[] = [];
  sse.on('data', (c) => chunks.push(Buffer.from(c)));
  const ended = new Promise((r) => sse.on('end', r));
  sse.end(`: keep-alive, from the upstream\r\ndata: ${JSON.stringify([list(1), list(2)])}\r\n\r\n`);
  await ended;
  const text = Buffer.concat(chunks).toString();
  assert.doesNotMatch(text, /"no"/);
  assert.doesNotMatch(text, /from the upstream/, 'comments carry nothing the gateway did not write');
  const unreadable = await throughJson(['\x1f\x8b garbage'], 200, visit);
  assert.equal(unreadable.status, 502);
  assert.match(unreadable.text, /-32603/);
  assert.equal((await throughJson(['nope'], 401, visit)).status, 401);
});

/** Chunks through the JSON response filter: what came out, and the status it settled. */
async function throughJson(chunks: (string | Buffer)[], status: number, visit: (v: unknown) => unknown) {
  const answer = { status };
  const t = jsonValuesTransform(visit, answer);
  const out: Buffer[] = [];
  t.on('data', (c) => out.push(Buffer.from(c)));
  const ended = new Promise((r) => t.on('end', r));
  for (const c of chunks) t.write(c);
  t.end();
  await ended;
  return { status: answer.status, text: Buffer.concat(out).toString() };
}

test('a JSON response is read value by value: each out once whole, anything else refused at once', async () => {
  const visit = (v: unknown) => v;
  // An escaped backslash split from the quote that ends its string.
  const one = await throughJson(['{"a":"x\\\\', '"}', ' \n'], 200, visit);
  assert.deepEqual([one.status, one.text], [200, '{"a":"x\\\\"}\n']);
  // An escaped quote split from its backslash is not the string's end.
  const cut = await throughJson(['{"a":"x\\', '"}', '"}'], 200, visit);
  assert.deepEqual(JSON.parse(cut.text), { a: 'x"}' });
  const escaped = await throughJson(['[{"q":"say \\"}\\"', '"}]'], 200, visit);
  assert.deepEqual(JSON.parse(escaped.text), [{ q: 'say "}"' }]);
  const two = await throughJson(['{"id":1}{"id"', ':2}\n'], 200, visit);
  assert.deepEqual(
    two.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
    [{ id: 1 }, { id: 2 }],
  );
  // Garbage after a value: the value went out, the stream ends with an error, the status stays.
  const late = await throughJson(['{"id":1}\n', '<html>'], 200, visit);
  assert.equal(late.status, 200);
  assert.match(late.text, /^\{"id":1\}\n.*-32603/s);
  // A character cut at the end, after a value: refused there.
  const cutChar = await throughJson(['{"id":1}', Buffer.from([0xc3])], 200, visit);
  assert.match(cutChar.text, /^\{"id":1\}\n.*-32603/s);
  // A bare scalar, a cut value, blank text: refused before anything is written.
  for (const body of [['5'], ['{"id":1'], ['  \n'], [Buffer.from([0x7b, 0xc3])]]) {
    const bad = await throughJson(body, 200, visit);
    assert.equal(bad.status, 502, JSON.stringify(body));
  }
  assert.deepEqual(await throughJson([], 200, visit), { status: 200, text: '' });
  assert.deepEqual(await throughJson(['Accepted'], 202, visit), { status: 202, text: '' });
  const big = jsonValuesTransform(visit, { status: 200 }, 16);
  const chunks: string[] = [];
  big.on('data', (c) => chunks.push(String(c)));
  big.end('{"a":"0123456789abcdef"}');
  await new Promise((r) => big.on('end', r));
  assert.match(chunks.join(''), /-32603/);
});

test('a tool list naming a tool twice cannot be judged: an error, never observed', () => {
  const twice = {
    jsonrpc: '2.0',
    id: 3,
    result: {
      tools: [
        { name: 'ok', description: 'a' },
        { name: 'ok', description: 'b' },
      ],
    },
  };
  const out = filterTools(twice, () => true) as any;
  assert.equal(out.error.code, -32603);
  assert.match(out.error.message, /listed tool "ok" twice/);
  assert.equal(out.result, undefined);
  assert.deepEqual(toolLists(twice), []);
  assert.equal(toolLists({ jsonrpc: '2.0', id: 4, result: { tools: [{ name: 'ok' }] } }).length, 1);
});

test('stored and printed text: escaped, cut, never refused', () => {
  assert.equal(storableText('a\u0000b'), 'a\\u0000b');
  assert.equal(storableText('x\ud800y'), 'x\\ud800y');
  assert.equal(storableText('😀😀', 2), '…'); // never half a surrogate pair
  assert.equal(storableText('abcdef', 4), 'abc…');
  assert.equal(terminalSafe('ok\n\u001b[31mred\u202e'), 'ok\n\\x1b[31mred\\u202e');
});
