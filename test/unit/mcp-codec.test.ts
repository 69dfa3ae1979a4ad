import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { parseJsonRpcBody, JSONRPC_ERRORS } from '../../data-plane/mcp/jsonrpc';
import { sseTransform } from '../../data-plane/mcp/sse';

test('requests, notifications, responses and batches are classified; tools/call names its tool', () => {
  const one = parseJsonRpcBody(
    '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"push_files","arguments":{}}}',
  );
  assert.ok(one.ok);
  assert.deepEqual(one.messages[0], {
    kind: 'request',
    id: 7,
    method: 'tools/call',
    params: { name: 'push_files', arguments: {} },
    tool: 'push_files',
  });
  const batch = parseJsonRpcBody(
    '[{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":"a","result":{}},{"jsonrpc":"2.0","id":2,"method":"tools/list"}]',
  );
  assert.ok(batch.ok && batch.batch);
  assert.deepEqual(
    batch.messages.map((m) => m.kind),
    ['notification', 'response', 'request'],
  );
});

test('anything ambiguous or malformed is a JSON-RPC error, never a guess', () => {
  const cases: [string, number, string | number | null][] = [
    [
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","name":"b"}}',
      JSONRPC_ERRORS.PARSE_ERROR,
      null,
    ],
    [
      '{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call"}',
      JSONRPC_ERRORS.PARSE_ERROR,
      null,
    ],
    ['{"jsonrpc":"2.0","id":1,"method":', JSONRPC_ERRORS.PARSE_ERROR, null],
    ['{"id":1,"method":"tools/list"}', JSONRPC_ERRORS.INVALID_REQUEST, 1],
    ['{"jsonrpc":"2.0","id":null,"method":"tools/list"}', JSONRPC_ERRORS.INVALID_REQUEST, null],
    ['{"jsonrpc":"2.0","id":1.5,"method":"tools/list"}', JSONRPC_ERRORS.INVALID_REQUEST, null],
    ['{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":5}}', JSONRPC_ERRORS.INVALID_PARAMS, 3],
    [
      '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":["push_files"]}',
      JSONRPC_ERRORS.INVALID_PARAMS,
      3,
    ],
    ['{"jsonrpc":"2.0","id":4,"method":"x","params":"s"}', JSONRPC_ERRORS.INVALID_REQUEST, 4],
    ['[]', JSONRPC_ERRORS.INVALID_REQUEST, null],
    [
      '[{"jsonrpc":"2.0","id":1,"method":"ok"},{"jsonrpc":"1.0","id":2,"method":"bad"}]',
      JSONRPC_ERRORS.INVALID_REQUEST,
      2,
    ],
  ];
  for (const [body, code, id] of cases) {
    const r = parseJsonRpcBody(body);
    assert.ok(!r.ok, body);
    assert.equal(r.problem.code, code, body);
    assert.equal(r.problem.id, id, body);
  }
  assert.equal(
    (parseJsonRpcBody('{"jsonrpc":"2.0","id":1,"method":"x"}', 10) as any).problem.code,
    JSONRPC_ERRORS.INVALID_REQUEST,
  );
  const bad = Buffer.concat([
    Buffer.from('{"jsonrpc":"2.0","id":1,"method":"'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('"}'),
  ]);
  assert.equal((parseJsonRpcBody(bad) as any).problem.code, JSONRPC_ERRORS.PARSE_ERROR);
});

test('SSE events are handled one by one, across arbitrary chunk boundaries, and can be rewritten or dropped', async () => {
  const stream =
    'id: 1\nevent: message\ndata: {"n":1}\n\n: keep-alive\n\nid: 2\ndata: {"n":2,"s":"é"}\n\nretry: 500\n\nid: 3\ndata: {"n":3}\n\n';
  const bytes = Buffer.from(stream);
  // feed one byte at a time: splits lines, events and the two-byte 'é'
  const chunks = [...bytes].map((b) => Buffer.from([b]));
  const seen: string[] = [];
  const t = sseTransform((e) => {
    seen.push(e.data);
    if (e.data.includes('"n":3')) return null; // dropped
    if (e.data.includes('"n":2')) return { ...e, data: e.data.replace('2', '20') };
    return e;
  });
  let out = '';
  const done = new Promise<void>((resolve) => {
    t.on('data', (d) => (out += d));
    t.on('end', resolve);
  });
  Readable.from(chunks).pipe(t);
  await done;
  assert.deepEqual(seen, ['{"n":1}', '{"n":2,"s":"é"}', '{"n":3}']);
  assert.equal(
    out,
    'id: 1\nevent: message\ndata: {"n":1}\n\n: keep-alive\n\nid: 2\ndata: {"n":20,"s":"é"}\n\nretry: 500\n\n',
  );
});

test('an event is emitted as soon as it is complete, before the stream ends', async () => {
  const t = sseTransform((e) => e);
  const first = new Promise<string>((resolve) => t.once('data', (d) => resolve(String(d))));
  t.write('data: one\n\ndata: tw');
  assert.equal(await first, 'data: one\n\n');
  t.end('o\n\n');
});
