import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fannedIn,
  MAX_STREAM_EVENT,
  notificationReader,
  type Notification,
} from '../../plugins/ai-mcp-proxy/source-listen';

const event = (m: unknown) => Buffer.from(`data: ${JSON.stringify(m)}\n\n`);

test('a source stream: only notifications pass; an event that never ends stops the stream', () => {
  const got: Notification[] = [];
  let stopped = 0;
  const read = notificationReader(
    (m) => got.push(m),
    () => stopped++,
  );
  read(event({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' }));
  read(event({ jsonrpc: '2.0', id: 1, method: 'sampling/createMessage', params: {} })); // a request
  read(event({ jsonrpc: '2.0', id: 2, result: {} })); // a response
  read(event({ jsonrpc: '2.0', method: 'notifications/message', params: [1, 2] })); // params not an object
  read(Buffer.from('data: {not json\n\n'));
  assert.deepEqual(
    got.map((m) => m.method),
    ['notifications/tools/list_changed'],
  );
  // An event that grows past the limit without ending: the stream is stopped, nothing after read.
  read(Buffer.from('data: "'));
  read(Buffer.alloc(MAX_STREAM_EVENT, 0x61));
  assert.equal(stopped, 1);
  read(event({ jsonrpc: '2.0', method: 'notifications/prompts/list_changed' }));
  assert.equal(got.length, 1);
});

test('fanned in: known notifications only, the source named by the gateway whatever the source says', () => {
  assert.equal(fannedIn('github', { method: 'notifications/progress', params: { progressToken: 1 } }), null);
  assert.equal(fannedIn('github', { method: 'notifications/cancelled', params: { requestId: 1 } }), null);
  assert.equal(fannedIn('github', { method: 'notifications/secrets' }), null);
  const out = fannedIn('github', {
    method: 'notifications/resources/updated',
    params: { uri: 'x://1', _meta: { 'io.tollgate/source': 'konnect', other: 1 } },
  }) as any;
  assert.equal(out.params._meta['io.tollgate/source'], 'github');
  assert.equal(out.params._meta.other, 1);
  assert.equal(out.params.uri, 'x://1');
});
