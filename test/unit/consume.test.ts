import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { readWhole } from '../../data-plane/proxy/consume';
import { pump } from '../../data-plane/proxy/body-streams';

class TooLarge extends Error {}

test('a body read whole: every chunk, in order, as one Buffer', async () => {
  const s = new PassThrough();
  const read = readWhole(s, 1024, () => new TooLarge());
  s.write('{"a":');
  s.write(Buffer.from('1}'));
  s.end();
  assert.equal((await read).toString(), '{"a":1}');
});

test('over the limit: refused and the stream destroyed, the rest never read', async () => {
  const s = new PassThrough();
  const read = readWhole(s, 4, () => new TooLarge());
  s.write('abc');
  s.write('def');
  await assert.rejects(read, TooLarge);
  assert.equal(s.destroyed, true);
});

test('a stream closed before its end is never taken as a whole body', async () => {
  const s = new PassThrough();
  const read = readWhole(s, 1024, () => new TooLarge());
  s.write('{"jsonrpc":"2.0","id":1,"result":');
  setImmediate(() => s.destroy()); // cut, without an error
  await assert.rejects(read, /closed before its end/);
});

test('a failing stream rejects with its error', async () => {
  const s = new PassThrough();
  const read = readWhole(s, 1024, () => new TooLarge());
  setImmediate(() => s.destroy(new Error('upstream reset')));
  await assert.rejects(read, /upstream reset/);
});

test('pump: every byte written with backpressure, paused while the client is full', async () => {
  const written: Buffer[] = [];
  let paused = 0;
  const client = new Writable({
    highWaterMark: 4,
    write(chunk: Buffer, _enc, done) {
      written.push(chunk);
      setTimeout(done, 1); // a slow client
    },
  });
  const source = new PassThrough();
  source.on('pause', () => paused++);
  const sent = pump(source, client as unknown as ServerResponse);
  for (let i = 0; i < 20; i++) source.write(Buffer.from(`chunk-${i};`));
  source.end();
  const total = await sent;
  assert.equal(
    Buffer.concat(written).toString(),
    Array.from({ length: 20 }, (_, i) => `chunk-${i};`).join(''),
  );
  assert.equal(total, Buffer.concat(written).length);
  assert.ok(paused > 0, 'the source was paused while the client drained');
});

test('pump: a source cut mid-stream rejects (the response is never finished as whole)', async () => {
  const client = new Writable({ write: (_c, _e, done) => done() });
  const source = new PassThrough();
  const sent = pump(source, client as unknown as ServerResponse);
  source.write('event: message\n');
  setImmediate(() => source.destroy());
  await assert.rejects(sent, /closed before its end/);
});

test('a consumer that throws fails that body, never the process', async () => {
  const s = new PassThrough();
  const client = new Writable({ write: (_c, _e, done) => done() });
  (client as unknown as { write: () => never }).write = () => {
    throw new Error('cannot write this chunk');
  };
  const sent = pump(s, client as unknown as ServerResponse);
  s.write('x');
  await assert.rejects(sent, /cannot write this chunk/);
  assert.equal(s.destroyed, true);
});

test('a stream that has already ended is refused, never waited on', async () => {
  const s = new PassThrough();
  s.end('all of it');
  s.resume();
  await new Promise((r) => s.once('end', r));
  await assert.rejects(
    readWhole(s, 1024, () => new TooLarge()),
    /already ended/,
  );
});
