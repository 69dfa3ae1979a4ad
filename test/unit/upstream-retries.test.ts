/**
 * Kong's retries (service.retries) in the one upstream call client requests and the gateway's
 * own route calls share: a fake dispatcher fails as undici does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Dispatcher } from 'undici';
import { requestWithRetries } from '../../data-plane/proxy/upstream-call';

const failure = (code: string) => Object.assign(new Error(code), { code });

function dispatcher(failures: string[]): { pool: Dispatcher; attempts: () => number } {
  let attempts = 0;
  const pool = {
    request: async () => {
      const next = failures[attempts++];
      if (next) throw failure(next);
      return { statusCode: 200 } as Dispatcher.ResponseData;
    },
  } as unknown as Dispatcher;
  return { pool, attempts: () => attempts };
}

const post = { method: 'POST', path: '/' } as Dispatcher.RequestOptions;
const get = { method: 'GET', path: '/' } as Dispatcher.RequestOptions;

test('a connection that never came up is tried again, any method, up to the retries', async () => {
  const d = dispatcher(['ECONNREFUSED', 'ECONNREFUSED']);
  const up = await requestWithRetries(d.pool, post, 5, () => true);
  assert.equal(up.statusCode, 200);
  assert.equal(d.attempts(), 3);

  const none = dispatcher(['ECONNREFUSED']);
  await assert.rejects(
    requestWithRetries(none.pool, post, 0, () => true),
    /ECONNREFUSED/,
  );
  assert.equal(none.attempts(), 1);
});

test('a connection that broke after sending: again for GET, never for POST', async () => {
  const idempotent = dispatcher(['ECONNRESET']);
  assert.equal((await requestWithRetries(idempotent.pool, get, 5, () => true)).statusCode, 200);
  const once = dispatcher(['ECONNRESET']);
  await assert.rejects(
    requestWithRetries(once.pool, post, 5, () => true),
    /ECONNRESET/,
  );
  assert.equal(once.attempts(), 1);
});

test('no retry once the caller is gone, and the attempt hook runs before each try', async () => {
  const d = dispatcher(['ECONNREFUSED', 'ECONNREFUSED']);
  let hooks = 0;
  await assert.rejects(
    requestWithRetries(
      d.pool,
      get,
      5,
      () => false,
      () => hooks++,
    ),
    /ECONNREFUSED/,
  );
  assert.equal(d.attempts(), 1);
  assert.equal(hooks, 1);
});
