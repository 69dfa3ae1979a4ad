/**
 * Kong's hmac-auth as a Kong user drives it: credentials under Kong's paths (a secret generated
 * when none is given), requests signed as Kong's docs show (date and request-line, HMAC-SHA256),
 * Kong's refusals (no date, stale, unknown user, wrong signature, an enforced header not signed,
 * a body that does not match its digest), and a decK file round trip.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { mustCreate, sendThrough, startStack, type Stack } from '../../helpers/stack';
import { startEchoUpstream } from '../../helpers/topology';
import { syncCleanly } from '../../helpers/deck';

let s: Stack;
let echo: Awaited<ReturnType<typeof startEchoUpstream>>;
const SECRET = 'alice-hmac-secret';

/** A request signed over `headers` (lower case; `request-line` for the request line). */
function signed(
  path: string,
  opts: {
    method?: string;
    body?: string;
    headers?: string[];
    date?: string;
    secret?: string;
    user?: string;
  } = {},
) {
  const method = opts.method ?? 'GET';
  const date = opts.date ?? new Date().toUTCString();
  const extra: Record<string, string> = { date };
  if (opts.body !== undefined)
    extra.digest = `SHA-256=${createHash('sha256').update(opts.body).digest('base64')}`;
  const headers = opts.headers ?? ['date', 'request-line'];
  const text = headers
    .map((h) => (h === 'request-line' ? `${method} ${path} HTTP/1.1` : `${h}: ${extra[h]}`))
    .join('\n');
  const signature = createHmac('sha256', opts.secret ?? SECRET)
    .update(text)
    .digest('base64');
  const authorization = `hmac username="${opts.user ?? 'alice-hmac'}", algorithm="hmac-sha256", headers="${headers.join(' ')}", signature="${signature}"`;
  return sendThrough(s.dp.proxyUrl, path, {
    method,
    headers: { ...extra, authorization },
    body: opts.body,
  });
}

before(async () => {
  s = await startStack();
  echo = await startEchoUpstream();
  await mustCreate(s.api, '/services', { name: 'svc', url: echo.url });
  await mustCreate(s.api, '/consumers', { username: 'alice' });
  await mustCreate(s.api, '/consumers/alice/hmac-auth', { username: 'alice-hmac', secret: SECRET });
  const route = async (name: string, config: Record<string, unknown> = {}) => {
    await mustCreate(s.api, '/services/svc/routes', { name, paths: [`/${name}`] });
    await mustCreate(s.api, `/routes/${name}/plugins`, { name: 'hmac-auth', config });
  };
  await route('hmac', { hide_credentials: true });
  await route('enforced', { enforce_headers: ['date', 'request-line', 'digest'] });
  await route('bodies', { validate_request_body: true });
  await s.synced();
});
after(async () => {
  await s?.close();
  await echo?.close();
});

test('credentials under Kong’s paths: a secret generated when none is given, usernames unique', async () => {
  await mustCreate(s.api, '/consumers', { username: 'bob' });
  const made = await mustCreate(s.api, '/consumers/bob/hmac-auth', { username: 'bob-hmac' });
  assert.ok(typeof made.secret === 'string' && made.secret.length >= 24);
  assert.equal((await s.api('GET', '/hmac-auths/bob-hmac')).body.id, made.id);
  const again = await s.api('POST', '/consumers/alice/hmac-auth', { username: 'bob-hmac' });
  assert.equal(again.status, 409);
  const plugin = await s.api('POST', '/plugins', { name: 'hmac-auth', config: { algorithms: ['hmac-md5'] } });
  assert.equal(plugin.status, 400);
});

test('a signed request passes as its consumer; Kong’s refusals otherwise', async () => {
  const ok = await signed('/hmac/x?y=1');
  assert.equal(ok.status, 200, ok.body);
  assert.equal(ok.json.headers['x-consumer-username'], 'alice');
  assert.equal(ok.json.headers.authorization, undefined, 'hide_credentials');
  const none = await sendThrough(s.dp.proxyUrl, '/hmac/x');
  assert.equal(none.status, 401);
  assert.equal(none.json.message, 'Unauthorized');
  assert.match(String(none.headers['www-authenticate']), /^hmac/);
  const stale = await signed('/hmac/x', { date: new Date(Date.now() - 3_600_000).toUTCString() });
  assert.equal(
    stale.json.message,
    'HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication',
  );
  assert.equal(
    (await signed('/hmac/x', { user: 'nobody' })).json.message,
    'HMAC signature cannot be verified',
  );
  const wrong = await signed('/hmac/x', { secret: 'not-it' });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.json.message, 'HMAC signature does not match');
  // The client chooses what it signs (here the date alone) unless enforce_headers says otherwise.
  const moved = await signed('/hmac/x', { headers: ['date'] });
  assert.equal(moved.status, 200, 'only the date signed, as the client chose');
  assert.equal(
    (await signed('/enforced/x', { headers: ['date'] })).json.message,
    'HMAC signature cannot be verified',
  );
  const body = '{"amount":10}';
  const digested = await signed('/enforced/x', {
    method: 'POST',
    body,
    headers: ['date', 'request-line', 'digest'],
  });
  assert.equal(digested.status, 200, digested.body);
});

test('validate_request_body: the body must match its signed digest', async () => {
  const body = '{"amount":10}';
  const ok = await signed('/bodies/pay', {
    method: 'POST',
    body,
    headers: ['date', 'request-line', 'digest'],
  });
  assert.equal(ok.status, 200, ok.body);
  // A digest of another body: the signature holds, the body does not.
  const date = new Date().toUTCString();
  const digest = `SHA-256=${createHash('sha256').update('{"amount":1}').digest('base64')}`;
  const text = `date: ${date}\nPOST /bodies/pay HTTP/1.1\ndigest: ${digest}`;
  const signature = createHmac('sha256', SECRET).update(text).digest('base64');
  const tampered = await sendThrough(s.dp.proxyUrl, '/bodies/pay', {
    method: 'POST',
    body,
    headers: {
      date,
      digest,
      authorization: `hmac username="alice-hmac", algorithm="hmac-sha256", headers="date request-line digest", signature="${signature}"`,
    },
  });
  assert.equal(tampered.status, 401);
  assert.equal(tampered.json.message, 'HMAC signature does not match');
});

test('hmac-auth credentials in a decK file: sync and a clean diff, the secret never printed', async () => {
  const { stdout } = await syncCleanly(s, [
    '_format_version: "3.0"',
    '_info:',
    '  select_tags: [deck-hmac]',
    'consumers:',
    '  - username: carol',
    '    hmacauth_credentials:',
    '      - username: carol-hmac',
    '        secret: carols-hmac-secret',
  ]);
  assert.ok(!stdout.includes('carols-hmac-secret'));
});
