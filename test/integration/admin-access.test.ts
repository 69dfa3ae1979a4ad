import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { checkAdminExposure } from '../../control-plane/main';
import { tokenMatches } from '../../control-plane/admin/admin-http';
import { startTestControlPlane } from '../helpers/control-plane';
import { adminClient } from '../helpers/http';

test('with TOLLGATE_ADMIN_TOKEN every call needs the bearer token', async () => {
  const t = await startTestControlPlane({ adminToken: 's3cret-admin-token' });
  try {
    const anon = adminClient(t.url);
    const r = await anon('GET', '/services');
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, { message: 'Unauthorized' });
    assert.equal((await adminClient(t.url, 'wrong')('GET', '/services')).status, 401);
    assert.equal((await anon('POST', '/services', { name: 'x', host: 'h.example.com' })).status, 401);
    // the container healthcheck authenticates with the same token
    const hc = (token: string) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(
          process.execPath,
          [join(__dirname, '..', '..', '..', 'bin', 'healthcheck.js'), 'control-plane'],
          {
            env: { ...process.env, TOLLGATE_ADMIN_LISTEN: new URL(t.url).host, TOLLGATE_ADMIN_TOKEN: token },
          },
        );
        child.on('exit', resolve);
      });
    assert.equal(await hc('s3cret-admin-token'), 0);
    assert.equal(await hc('wrong'), 1);
    const authed = adminClient(t.url, 's3cret-admin-token');
    assert.equal((await authed('GET', '/services')).status, 200);
    assert.equal((await authed('POST', '/services', { name: 'x', host: 'h.example.com' })).status, 201);
  } finally {
    await t.close();
  }
});

test('a non-loopback Admin API without a token is refused at start', () => {
  const base = { clusterListen: { host: '127.0.0.1', port: 8005 }, dataDir: '/tmp/x' };
  assert.throws(
    () => checkAdminExposure({ ...base, adminListen: { host: '0.0.0.0', port: 8001 } }),
    /refusing to bind the Admin API to 0\.0\.0\.0:8001 without TOLLGATE_ADMIN_TOKEN/,
  );
  assert.doesNotThrow(() =>
    checkAdminExposure({ ...base, adminListen: { host: '0.0.0.0', port: 8001 }, adminToken: 't' }),
  );
  assert.doesNotThrow(() => checkAdminExposure({ ...base, adminListen: { host: '127.0.0.1', port: 8001 } }));
});

test('token comparison is exact', () => {
  assert.equal(tokenMatches('abc', 'abc'), true);
  assert.equal(tokenMatches('abc', 'abcd'), false);
  assert.equal(tokenMatches('', 'abc'), false);
});
