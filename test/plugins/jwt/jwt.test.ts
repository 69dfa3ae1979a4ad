/**
 * Kong's jwt as a Kong user drives it: `jwt_secrets` under Kong's paths (key and secret generated
 * when not given; an asymmetric algorithm needs a readable public key), tokens signed with jose
 * (HS256 and RS256) from the header, the query or a cookie, Kong's refusals (no token, unknown
 * issuer, another algorithm, a bad signature, expired, beyond the maximum expiration), and a
 * decK file round trip.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { mustCreate, sendThrough, startStack, type Stack } from '../../helpers/stack';
import { startEchoUpstream } from '../../helpers/topology';
import { syncCleanly } from '../../helpers/deck';

let s: Stack;
let echo: Awaited<ReturnType<typeof startEchoUpstream>>;
const HS_SECRET = 'alice-jwt-secret-that-is-long-enough';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const now = () => Math.floor(Date.now() / 1000);

const hs = (claims: Record<string, unknown>, secret = HS_SECRET, alg = 'HS256') =>
  new SignJWT(claims).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));
const rs = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(rsa.privateKey);
const send = (path: string, headers: Record<string, string> = {}) =>
  sendThrough(s.dp.proxyUrl, path, { headers });

before(async () => {
  s = await startStack();
  echo = await startEchoUpstream();
  await mustCreate(s.api, '/services', { name: 'svc', url: echo.url });
  await mustCreate(s.api, '/consumers', { username: 'alice' });
  await mustCreate(s.api, '/consumers', { username: 'bob' });
  await mustCreate(s.api, '/consumers/alice/jwt', { key: 'alice-iss', secret: HS_SECRET });
  await mustCreate(s.api, '/consumers/bob/jwt', {
    key: 'bob-iss',
    algorithm: 'RS256',
    rsa_public_key: rsa.publicKey.export({ type: 'spki', format: 'pem' }),
  });
  await mustCreate(s.api, '/services/svc/routes', { name: 'jwt', paths: ['/jwt'] });
  await mustCreate(s.api, '/routes/jwt/plugins', {
    name: 'jwt',
    config: { claims_to_verify: ['exp'], maximum_expiration: 3600, cookie_names: ['session'] },
  });
  await s.synced();
});
after(async () => {
  await s?.close();
  await echo?.close();
});

test('jwt_secrets under Kong’s paths; an asymmetric algorithm needs a readable public key', async () => {
  await mustCreate(s.api, '/consumers', { username: 'carol' });
  const made = await mustCreate(s.api, '/consumers/carol/jwt', {});
  assert.match(made.key, /^[0-9a-f]{32}$/);
  assert.equal(made.algorithm, 'HS256');
  assert.equal((await s.api('GET', `/jwts/${made.key}`)).body.id, made.id);
  const noKey = await s.api('POST', '/consumers/carol/jwt', { algorithm: 'RS256' });
  assert.equal(noKey.status, 400, JSON.stringify(noKey.body));
  const badKey = await s.api('POST', '/consumers/carol/jwt', { algorithm: 'ES256', rsa_public_key: 'nope' });
  assert.equal(badKey.status, 400);
  const plugin = await s.api('POST', '/plugins', { name: 'jwt', config: { maximum_expiration: 60 } });
  assert.equal(plugin.status, 400, 'a maximum expiration needs exp verified');
});

test('HS256 and RS256 tokens from the header, the query or a cookie pass as their consumer', async () => {
  const exp = now() + 600;
  const a = await send('/jwt', { authorization: `Bearer ${await hs({ iss: 'alice-iss', exp })}` });
  assert.equal(a.status, 200, a.body);
  assert.equal(a.json.headers['x-consumer-username'], 'alice');
  const b = await send(`/jwt?jwt=${await rs({ iss: 'bob-iss', exp })}`);
  assert.equal(b.status, 200, b.body);
  assert.equal(b.json.headers['x-consumer-username'], 'bob');
  const cookie = await send('/jwt', { cookie: `theme=dark; session=${await hs({ iss: 'alice-iss', exp })}` });
  assert.equal(cookie.status, 200);
});

test('Kong’s refusals, all 401', async () => {
  const exp = now() + 600;
  const cases: [Record<string, string>, unknown][] = [
    [{}, { message: 'Unauthorized' }],
    [{ authorization: 'Bearer not.a.token' }, { message: 'Bad token; invalid JSON' }],
    [{ authorization: `Bearer ${await hs({ exp })}` }, { message: "No mandatory 'iss' in claims" }],
    [
      { authorization: `Bearer ${await hs({ iss: 'nobody', exp })}` },
      { message: "No credentials found for given 'iss'" },
    ],
    [
      { authorization: `Bearer ${await hs({ iss: 'alice-iss', exp }, HS_SECRET, 'HS512')}` },
      { message: 'Invalid algorithm' },
    ],
    [
      { authorization: `Bearer ${await hs({ iss: 'alice-iss', exp }, 'another-secret-entirely-xx')}` },
      { message: 'Invalid signature' },
    ],
    [{ authorization: `Bearer ${await hs({ iss: 'bob-iss', exp })}` }, { message: 'Invalid algorithm' }],
    [
      { authorization: `Bearer ${await hs({ iss: 'alice-iss', exp: now() - 10 })}` },
      { exp: 'token expired' },
    ],
    [{ authorization: `Bearer ${await hs({ iss: 'alice-iss' })}` }, { exp: "'exp' must be a number" }],
    [
      { authorization: `Bearer ${await hs({ iss: 'alice-iss', exp: now() + 7200 })}` },
      { exp: 'exceeds maximum allowed expiration' },
    ],
  ];
  for (const [headers, body] of cases) {
    const r = await send('/jwt', headers);
    assert.equal(r.status, 401, JSON.stringify(headers));
    assert.deepEqual(r.json, body, JSON.stringify(headers));
  }
  const two = await send(`/jwt?jwt=a&jwt=b`);
  assert.deepEqual(two.json, { message: 'Multiple tokens provided' });
});

test('jwt_secrets in a decK file: sync and a clean diff, the secret never printed', async () => {
  const { stdout } = await syncCleanly(s, [
    '_format_version: "3.0"',
    '_info:',
    '  select_tags: [deck-jwt]',
    'consumers:',
    '  - username: dave',
    '    jwt_secrets:',
    '      - key: dave-iss',
    '        secret: daves-jwt-secret',
  ]);
  assert.ok(!stdout.includes('daves-jwt-secret'));
  await s.synced();
  const token = await hs({ iss: 'dave-iss', exp: now() + 60 }, 'daves-jwt-secret');
  assert.equal((await send('/jwt', { authorization: `Bearer ${token}` })).status, 200);
});
