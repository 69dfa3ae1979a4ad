import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressRelay } from '../../plugins/ai-mcp-proxy/source-progress';
import type { Progress } from '../../data-plane/mcp/server/served-tools';

const SSE = { headers: { 'content-type': 'text/event-stream' } };
const event = (m: unknown) => Buffer.from(`event: message\ndata: ${JSON.stringify(m)}\n\n`);

test('a source’s progress is relayed only under the token made for its call, forward, well formed', () => {
  const got: Progress[] = [];
  const relay = progressRelay({ name: 'slow', _meta: { progressToken: 'the-clients' } }, (p) => got.push(p));
  const token = (relay.params._meta as { progressToken: string }).progressToken;
  assert.notEqual(token, 'the-clients', 'the source never sees the client’s token');
  const progress = (params: Record<string, unknown>) => ({
    jsonrpc: '2.0',
    method: 'notifications/progress',
    params,
  });
  const wire = Buffer.concat([
    event(progress({ progressToken: token, progress: 1, total: 3, message: 'one' })),
    event(progress({ progressToken: 'another-call', progress: 2 })), // another call's
    event(progress({ progressToken: token, progress: 1 })), // not forward
    event(progress({ progressToken: token, progress: 'two' })), // not a number
    event({
      jsonrpc: '2.0',
      id: 7,
      method: 'notifications/progress',
      params: { progressToken: token, progress: 5 },
    }),
    event(progress({ progressToken: token, progress: 2, total: 3, message: 'x'.repeat(5000) })),
  ]);
  // Split anywhere, even inside a multi-byte character or an event.
  const cut = [7, 90, 91, 400];
  let at = 0;
  for (const end of [...cut, wire.length]) {
    relay.observe(wire.subarray(at, end), SSE);
    at = end;
  }
  assert.deepEqual(
    got.map((p) => [p.progress, p.total]),
    [
      [1, 3],
      [2, 3],
    ],
  );
  assert.equal(got[1].message!.length, 1024);
  // A JSON answer carries no progress.
  const json: Progress[] = [];
  const plain = progressRelay({}, (p) => json.push(p));
  plain.observe(Buffer.from(JSON.stringify(progress({ progressToken: 'x', progress: 1 }))), {
    headers: { 'content-type': 'application/json' },
  });
  assert.deepEqual(json, []);
});
