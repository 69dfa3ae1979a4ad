/**
 * The interceptors every upstream request goes through (composed once per pool), driven over a
 * fake dispatcher that answers as undici's pool does: Kong's retries, fail-closed decoding and
 * a caller's deadline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { Dispatcher } from 'undici';
import {
  UPSTREAM_INTERCEPTORS,
  type UpstreamRequestOptions,
} from '../../data-plane/proxy/upstream-interceptors';
import { UnsupportedCoding } from '../../data-plane/proxy/content-coding';
import { ClientAbort } from '../../data-plane/proxy/client-abort';
import { upstreamRequest } from '../../data-plane/proxy/upstream-request';

type Answer = string | { status?: number; headers?: Record<string, string>; body?: Buffer | string };

/** A pool that fails with each code of `answers` in turn, or answers with the response given. */
class FakePool extends Dispatcher {
  readonly seen: (Dispatcher.DispatchOptions & UpstreamRequestOptions)[] = [];
  constructor(private readonly answers: Answer[]) {
    super();
  }
  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const answer = this.answers[Math.min(this.seen.length, this.answers.length - 1)];
    this.seen.push(opts);
    let aborted: Error | null = null;
    const controller = {
      abort: (err: Error) => (aborted ??= err),
      pause() {},
      resume() {},
      get paused() {
        return false;
      },
      get aborted() {
        return aborted !== null;
      },
      get reason() {
        return aborted;
      },
    } as unknown as Dispatcher.DispatchController;
    setImmediate(() => {
      handler.onRequestStart?.(controller, {});
      if (typeof answer === 'string')
        return handler.onResponseError?.(controller, Object.assign(new Error(answer), { code: answer }));
      handler.onResponseStart?.(controller, answer.status ?? 200, { ...answer.headers }, 'OK');
      if (aborted) return handler.onResponseError?.(controller, aborted);
      if (answer.body !== undefined) handler.onResponseData?.(controller, Buffer.from(answer.body));
      handler.onResponseEnd?.(controller, {});
    });
    return true;
  }
  override async close(): Promise<void> {}
  override async destroy(): Promise<void> {}
}

function pool(answers: Answer[]) {
  const fake = new FakePool(answers);
  return { fake, upstream: fake.compose(UPSTREAM_INTERCEPTORS) };
}

const request = (extra: Partial<Dispatcher.RequestOptions & UpstreamRequestOptions>) =>
  ({ method: 'POST', path: '/', headers: {}, ...extra }) as Dispatcher.RequestOptions &
    UpstreamRequestOptions;

test('a connection that never came up is tried again, any method, up to the retries', async () => {
  const { fake, upstream } = pool(['ECONNREFUSED', 'ECONNREFUSED', { body: 'ok' }]);
  let attempts = 0;
  const up = await upstream.request(request({ body: '{}', retries: 5, onAttempt: () => attempts++ }));
  assert.equal(await up.body.text(), 'ok');
  assert.equal(fake.seen.length, 3);
  assert.equal(attempts, 3);

  const none = pool(['ECONNREFUSED', { body: 'ok' }]);
  await assert.rejects(none.upstream.request(request({ retries: 0 })), /ECONNREFUSED/);
  assert.equal(none.fake.seen.length, 1);
});

test('a connection that broke after sending: again for GET, never for POST', async () => {
  const idempotent = pool(['ECONNRESET', { body: 'ok' }]);
  const up = await idempotent.upstream.request(request({ method: 'GET', retries: 5 }));
  assert.equal(up.statusCode, 200);
  await up.body.dump();
  const once = pool(['ECONNRESET', { body: 'ok' }]);
  await assert.rejects(once.upstream.request(request({ retries: 5 })), /ECONNRESET/);
  assert.equal(once.fake.seen.length, 1);
});

test('a streamed body is never sent twice, and nothing is retried once the caller is gone', async () => {
  const streamed = pool(['ECONNREFUSED', { body: 'ok' }]);
  await assert.rejects(
    streamed.upstream.request(request({ body: Readable.from(['x']), retries: 5 })),
    /ECONNREFUSED/,
  );
  assert.equal(streamed.fake.seen.length, 1);

  const gone = new ClientAbort();
  const left = pool(['ECONNREFUSED', { body: 'ok' }]);
  await assert.rejects(
    left.upstream.request(request({ retries: 5, signal: gone, onAttempt: () => gone.abort() })),
  );
  assert.equal(left.fake.seen.length, 1);
});

test('decoding asks for identity and decodes what comes anyway, in the order applied', async () => {
  const body = '{"jsonrpc":"2.0"}';
  const gz = pool([
    { headers: { 'content-encoding': 'gzip', 'content-length': '99' }, body: gzipSync(body) },
  ]);
  const up = await gz.upstream.request(request({ decode: true, headers: { 'accept-encoding': 'gzip' } }));
  assert.equal(await up.body.text(), body);
  assert.equal(up.headers['content-encoding'], undefined);
  assert.equal(up.headers['content-length'], undefined);
  assert.equal((gz.fake.seen[0].headers as Record<string, string>)['accept-encoding'], 'identity');

  for (const [coding, bytes] of [
    ['br', brotliCompressSync(body)],
    ['gzip, br', brotliCompressSync(gzipSync(body))],
    ['GZIP', gzipSync(body)],
  ] as const) {
    const one = pool([{ headers: { 'content-encoding': coding }, body: bytes }]);
    assert.equal(await (await one.upstream.request(request({ decode: true }))).body.text(), body, coding);
  }
  const twice = pool([
    { headers: { 'content-encoding': 'deflate, identity, gzip' }, body: gzipSync(deflateSync(body)) },
  ]);
  const both = await twice.upstream.request(request({ decode: true }));
  assert.equal(await both.body.text(), body);
});

test('a coding the gateway cannot decode is refused, never passed on; without decode nothing changes', async () => {
  const odd = pool([{ headers: { 'content-encoding': 'x-tollgate-unknown' }, body: 'zzz' }]);
  await assert.rejects(odd.upstream.request(request({ decode: true })), UnsupportedCoding);
  const broken = pool([{ headers: { 'content-encoding': 'gzip' }, body: 'not gzip' }]);
  const up = await broken.upstream.request(request({ decode: true }));
  await assert.rejects(up.body.text());

  const plain = pool([{ headers: { 'content-encoding': 'gzip' }, body: gzipSync('x') }]);
  const raw = await plain.upstream.request(request({}));
  assert.equal(raw.headers['content-encoding'], 'gzip');
  assert.deepEqual(Buffer.from(await raw.body.arrayBuffer()), gzipSync('x'));
});

test("a caller's deadline caps the service's timeouts", async () => {
  const { fake, upstream } = pool([{ body: 'ok' }]);
  await (
    await upstream.request(request({ headersTimeout: 60_000, bodyTimeout: 100, deadlineMs: 500 }))
  ).body.dump();
  assert.equal(fake.seen[0].headersTimeout, 500);
  assert.equal(fake.seen[0].bodyTimeout, 100);
});

test('upstreamRequest: the response at its start, its body as it comes; dropping the body stops the request', async () => {
  const { upstream } = pool([{ status: 201, headers: { 'x-a': '1' }, body: 'hello' }]);
  const up = await upstreamRequest(upstream, request({ retries: 5 }));
  assert.equal(up.statusCode, 201);
  assert.equal(up.headers['x-a'], '1');
  const chunks: Buffer[] = [];
  for await (const c of up.body) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), 'hello');

  const failing = pool(['ECONNREFUSED']);
  await assert.rejects(upstreamRequest(failing.upstream, request({ retries: 0 })), /ECONNREFUSED/);

  const gone = new ClientAbort();
  gone.abort();
  await assert.rejects(
    upstreamRequest(pool([{ body: 'x' }]).upstream, request({ signal: gone })),
    /aborted/i,
  );
});
