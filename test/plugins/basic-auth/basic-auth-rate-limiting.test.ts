/**
 * The two plugins added as one folder each (plugins/basic-auth, plugins/rate-limiting), driven as
 * a Kong user would: Admin API, a data plane, decK files through the CLI.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mustCreate, sendThrough, startStack, type Stack } from '../../helpers/stack';
import { startEchoUpstream } from '../../helpers/topology';
import { runTollgate } from '../../helpers/process';

let s: Stack;
let echo: Awaited<ReturnType<typeof startEchoUpstream>>;
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const send = (path: string, opts: Parameters<typeof sendThrough>[2] = {}) =>
  sendThrough(s.dp.proxyUrl, path, opts);

before(async () => {
  s = await startStack();
  echo = await startEchoUpstream();
  await mustCreate(s.api, '/services', { name: 'svc', url: echo.url });
  await mustCreate(s.api, '/consumers', { username: 'alice' });
  await mustCreate(s.api, '/consumers', { username: 'bob' });
  await mustCreate(s.api, '/consumers', { username: 'guest' });
});
after(async () => {
  await s?.close();
  await echo?.close();
});

describe('basic-auth', () => {
  before(async () => {
    await mustCreate(s.api, '/services/svc/routes', { name: 'ba', paths: ['/ba'] });
    await mustCreate(s.api, '/routes/ba/plugins', { name: 'basic-auth' });
    await mustCreate(s.api, '/services/svc/routes', { name: 'ba-hidden', paths: ['/ba-hidden'] });
    await mustCreate(s.api, '/routes/ba-hidden/plugins', {
      name: 'basic-auth',
      config: { hide_credentials: true, realm: 'tollgate' },
    });
    await mustCreate(s.api, '/services/svc/routes', { name: 'ba-anon', paths: ['/ba-anon'] });
    await mustCreate(s.api, '/routes/ba-anon/plugins', {
      name: 'basic-auth',
      config: { anonymous: 'guest' },
    });
    await mustCreate(s.api, '/consumers/alice/basic-auth', { username: 'alice', password: 'open-sesame' });
    await s.synced();
  });

  test('the Admin API stores a salted hash, never the password, under Kong paths', async () => {
    const cred = (await s.api('GET', '/consumers/alice/basic-auth/alice')).body;
    assert.equal(cred.username, 'alice');
    assert.notEqual(cred.password, 'open-sesame');
    assert.match(cred.password, /^\$scrypt\$ln=\d+,r=\d+,p=\d+\$/);
    const byTop = await s.api('GET', '/basic-auths/alice');
    assert.equal(byTop.status, 200);
    assert.equal(byTop.body.id, cred.id);
    assert.equal((await s.api('GET', '/basic-auths/alice/consumer')).body.username, 'alice');
    const list = (await s.api('GET', '/consumers/alice/basic-auth')).body;
    assert.equal(list.data.length, 1);
    // A PATCH of another field keeps the stored hash (no double hashing).
    const patched = (await s.api('PATCH', `/basic-auths/${cred.id}`, { tags: ['t1'] })).body;
    assert.equal(patched.password, cred.password);
    const schema = await s.api('GET', '/schemas/basicauth_credentials');
    assert.equal(schema.status, 200);
  });

  test("Kong's errors: missing, duplicate and unknown credentials; a second username is a 409", async () => {
    const none = await send('/ba');
    assert.equal(none.status, 401);
    assert.equal(none.json.message, 'Unauthorized');
    assert.equal(none.headers['www-authenticate'], 'Basic realm="service"');
    assert.equal((await send('/ba-hidden')).headers['www-authenticate'], 'Basic realm="tollgate"');
    for (const authorization of [
      basic('alice', 'wrong'),
      basic('nobody', 'open-sesame'),
      'Basic !!!not-base64',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      'Bearer open-sesame',
    ]) {
      const r = await send('/ba', { headers: { authorization } });
      assert.equal(r.status, 401, authorization);
      assert.equal(r.json.message, 'Unauthorized');
    }
    const dup = await send('/ba', {
      headers: { authorization: [basic('alice', 'open-sesame'), basic('alice', 'open-sesame')] },
    });
    assert.equal(dup.status, 401);
    const conflict = await s.api('POST', '/consumers/bob/basic-auth', { username: 'alice', password: 'x' });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.name, 'unique constraint violation');
  });

  test('valid credentials: consumer headers upstream; hide_credentials strips Authorization', async () => {
    for (let i = 0; i < 3; i++) {
      // Repeated: the second and later checks come from the verified cache.
      const r = await send('/ba', { headers: { authorization: basic('alice', 'open-sesame') } });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.headers['x-consumer-username'], 'alice');
      assert.equal(r.json.headers.authorization, basic('alice', 'open-sesame'));
    }
    const viaProxy = await send('/ba', { headers: { 'proxy-authorization': basic('alice', 'open-sesame') } });
    assert.equal(viaProxy.status, 200);
    assert.equal(viaProxy.json.headers['proxy-authorization'], undefined, 'hop-by-hop, never forwarded');
    const hidden = await send('/ba-hidden', { headers: { authorization: basic('alice', 'open-sesame') } });
    assert.equal(hidden.status, 200);
    assert.equal(hidden.json.headers.authorization, undefined);
    assert.equal(hidden.json.headers['x-consumer-username'], 'alice');
  });

  test('anonymous: no credential maps to the anonymous consumer', async () => {
    const r = await send('/ba-anon');
    assert.equal(r.status, 200);
    assert.equal(r.json.headers['x-consumer-username'], 'guest');
    assert.equal(r.json.headers['x-anonymous-consumer'], 'true');
  });

  test('a changed password takes effect; the old one stops working', async () => {
    await s.api('PATCH', '/consumers/alice/basic-auth/alice', { password: 'new-secret' });
    await s.synced();
    assert.equal(
      (await send('/ba', { headers: { authorization: basic('alice', 'open-sesame') } })).status,
      401,
    );
    assert.equal(
      (await send('/ba', { headers: { authorization: basic('alice', 'new-secret') } })).status,
      200,
    );
  });
});

describe('rate-limiting (local policy)', () => {
  before(async () => {
    await mustCreate(s.api, '/services/svc/routes', { name: 'rl', paths: ['/rl'] });
    await mustCreate(s.api, '/routes/rl/plugins', {
      name: 'rate-limiting',
      config: { minute: 3, hour: 10, limit_by: 'ip' },
    });
    await mustCreate(s.api, '/services/svc/routes', { name: 'rl-header', paths: ['/rl-header'] });
    await mustCreate(s.api, '/routes/rl-header/plugins', {
      name: 'rate-limiting',
      config: { minute: 2, limit_by: 'header', header_name: 'x-tenant', hide_client_headers: true },
    });
    await mustCreate(s.api, '/services/svc/routes', { name: 'rl-consumer', paths: ['/rl-consumer'] });
    await mustCreate(s.api, '/consumers/bob/basic-auth', { username: 'bob', password: 'b0b' });
    await mustCreate(s.api, '/routes/rl-consumer/plugins', { name: 'basic-auth' });
    await mustCreate(s.api, '/routes/rl-consumer/plugins', {
      name: 'rate-limiting',
      config: { minute: 1, error_code: 403, error_message: 'slow down' },
    });
    await s.synced();
  });

  test("Kong's RateLimit-* and X-RateLimit-* headers count down, then a 429 with Retry-After", async () => {
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await send('/rl');
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-ratelimit-limit-minute'], '3');
      assert.equal(r.headers['x-ratelimit-limit-hour'], '10');
      assert.equal(r.headers['ratelimit-limit'], '3');
      seen.push(Number(r.headers['x-ratelimit-remaining-minute']));
      assert.equal(Number(r.headers['ratelimit-remaining']), 2 - i);
      assert.ok(Number(r.headers['ratelimit-reset']) >= 1 && Number(r.headers['ratelimit-reset']) <= 60);
    }
    assert.deepEqual(seen, [2, 1, 0]);
    const limited = await send('/rl');
    assert.equal(limited.status, 429);
    assert.equal(limited.json.message, 'API rate limit exceeded');
    assert.match(limited.json.request_id, /^[0-9a-f-]{36}$/);
    assert.equal(limited.headers['ratelimit-remaining'], '0');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
  });

  test('a config change does not reset the counters', async () => {
    await mustCreate(s.api, '/services', { name: 'unrelated', url: echo.url });
    await s.synced();
    assert.equal((await send('/rl')).status, 429);
  });

  test('limit_by header counts per header value; hide_client_headers sends none', async () => {
    for (const tenant of ['a', 'b']) {
      for (let i = 0; i < 2; i++) {
        const r = await send('/rl-header', { headers: { 'x-tenant': tenant } });
        assert.equal(r.status, 200);
        assert.equal(r.headers['ratelimit-limit'], undefined);
        assert.equal(r.headers['x-ratelimit-remaining-minute'], undefined);
      }
      assert.equal((await send('/rl-header', { headers: { 'x-tenant': tenant } })).status, 429);
    }
  });

  test('limit_by consumer after basic-auth, with a custom error code and message', async () => {
    const auth = { authorization: basic('bob', 'b0b') };
    assert.equal((await send('/rl-consumer', { headers: auth })).status, 200);
    const r = await send('/rl-consumer', { headers: auth });
    assert.equal(r.status, 403);
    assert.equal(r.json.message, 'slow down');
    // Unauthenticated requests are refused by basic-auth before they count.
    assert.equal((await send('/rl-consumer')).status, 401);
  });

  test("Kong's schema checks and the policies data planes cannot run are refused when written", async () => {
    const none = await s.api('POST', '/plugins', { name: 'rate-limiting', config: {} });
    assert.equal(none.status, 400);
    assert.match(none.body.message, /at least one of these fields must be non-empty: 'config.second'/);
    const order = await s.api('POST', '/plugins', { name: 'rate-limiting', config: { minute: 10, hour: 5 } });
    assert.equal(order.status, 400);
    assert.match(
      order.body.message,
      /The limit for hour\(5\.0\) cannot be lower than the limit for minute\(10\.0\)/,
    );
    const header = await s.api('POST', '/plugins', {
      name: 'rate-limiting',
      config: { minute: 1, limit_by: 'header' },
    });
    assert.equal(header.status, 400);
    assert.deepEqual(header.body.fields.config.header_name, 'required field missing');
    // `cluster` counts in a database data planes do not have (Kong refuses it in hybrid mode);
    // `redis` is test/plugins/rate-limiting's.
    const r = await s.api('POST', '/plugins', {
      name: 'rate-limiting',
      config: { minute: 1, policy: 'cluster' },
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.name, 'schema violation');
    assert.match(r.body.fields.config.policy, /policy 'cluster' is not supported/);
  });
});

describe('decK files carry basicauth_credentials', () => {
  test('sync, diff (no change against the stored hash), dump nests them, sync of the dump', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deck-basic-auth-'));
    const file = join(dir, 'kong.yaml');
    writeFileSync(
      file,
      [
        '_format_version: "3.0"',
        '_info:',
        '  select_tags: [deck-ba]',
        'consumers:',
        '  - username: carol',
        '    basicauth_credentials:',
        '      - username: carol',
        '        password: carols-password',
        'plugins:',
        '  - name: rate-limiting',
        '    config: { second: 5, limit_by: consumer }',
        '',
      ].join('\n'),
    );
    const env = { TOLLGATE_ADMIN_URL: s.cp.url, TOLLGATE_ADMIN_TOKEN: undefined };
    const sync = await runTollgate(['sync', file], { env });
    assert.equal(sync.code, 0, sync.stderr);
    assert.match(sync.stdout, /creating basic-auth \S+ for consumer carol/);
    assert.ok(!sync.stdout.includes('carols-password'), 'the password is never printed');
    const stored = (await s.api('GET', '/basic-auths/carol')).body;
    assert.match(stored.password, /^\$scrypt\$/);

    const diff = await runTollgate(['diff', file, '--non-zero-exit-code'], { env });
    assert.equal(diff.code, 0, diff.stdout + diff.stderr);
    assert.match(diff.stdout, /Created: 0\n {2}Updated: 0\n {2}Deleted: 0/);

    const dumpFile = join(dir, 'dump.yaml');
    const dump = await runTollgate(['dump', '--select-tag', 'deck-ba', '-o', dumpFile], { env });
    assert.equal(dump.code, 0, dump.stderr);
    const text = readFileSync(dumpFile, 'utf8');
    assert.match(text, /basicauth_credentials:\n\s+- /);
    const resync = await runTollgate(['sync', dumpFile], { env });
    assert.equal(resync.code, 0, resync.stderr);
    assert.match(resync.stdout, /Created: 0\n {2}Updated: 0\n {2}Deleted: 0/);

    await s.synced();
    const r = await send('/ba', { headers: { authorization: basic('carol', 'carols-password') } });
    assert.equal(r.status, 200);
    assert.equal(r.json.headers['x-consumer-username'], 'carol');
  });
});
