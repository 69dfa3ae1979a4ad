/**
 * ai-mcp-oauth2's token exchange (RFC 8693, Kong 3.14's `token_exchange`) against a real
 * authorization server (oidc-provider with the token-exchange grant registered,
 * test/fixtures/oidc-server.mjs): the upstream gets a token minted for it (the caller as
 * subject, its audience, the actor), exchanged once per caller and cached; a refused exchange
 * is the caller's 401, an unreachable or failing server a 502; the decK file round-trips.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { mustCreate, sendThrough, startStack, type Stack } from '../../helpers/stack';
import { startEchoUpstream } from '../../helpers/topology';
import { startOidcServer, type OidcServer } from '../../helpers/oidc';
import { syncCleanly } from '../../helpers/deck';

const UPSTREAM_AUDIENCE = 'https://tools.internal.example/mcp';
let s: Stack;
let oidc: OidcServer;
let echo: Awaited<ReturnType<typeof startEchoUpstream>>;
let resource: string;

const exchanges = async () =>
  ((await (await fetch(`${oidc.issuer}/test/exchanges`)).json()) as any).exchanges;

async function call(path: string, token: string, headers: Record<string, string> = {}) {
  return sendThrough(s.dp.proxyUrl, path, { headers: { authorization: `Bearer ${token}`, ...headers } });
}

function pluginConfig(extra: Record<string, unknown> = {}) {
  return {
    resource,
    authorization_servers: [oidc.issuer],
    introspection_endpoint: `${oidc.issuer}/token/introspection`,
    client_id: 'gateway',
    client_secret: 'gateway-secret',
    passthrough_credentials: true,
    token_exchange: {
      enabled: true,
      token_endpoint: `${oidc.issuer}/token`,
      client_id: 'exchanger',
      client_secret: 'exchanger-secret',
      request: { audience: [UPSTREAM_AUDIENCE], scopes: ['mcp:tools'], ...extra },
    },
  };
}

before(async () => {
  s = await startStack();
  echo = await startEchoUpstream();
  resource = `${s.dp.proxyUrl}/tx`;
  oidc = await startOidcServer({ [resource]: 'opaque' });
  await mustCreate(s.api, '/services', { name: 'tools', url: echo.url });
  for (const [name, extra] of [
    ['tx', {}],
    ['tx-actor', { actor_token_source: 'header', actor_token_header: 'X-Actor-Token' }],
  ] as const) {
    await mustCreate(s.api, '/services/tools/routes', { name, paths: [`/${name}`] });
    await mustCreate(s.api, `/routes/${name}/plugins`, {
      name: 'ai-mcp-oauth2',
      config: pluginConfig(extra),
    });
  }
  await s.synced();
});
after(async () => {
  oidc?.close();
  await echo?.close();
  await s?.close();
});

test('Kong’s rule: token exchange needs passthrough_credentials', async () => {
  const r = await s.api('POST', '/plugins', {
    name: 'ai-mcp-oauth2',
    config: { ...pluginConfig(), passthrough_credentials: false },
  });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.body.fields.config.passthrough_credentials, 'must be true when token_exchange is enabled');
});

test('the upstream gets a token minted for it, not the caller’s; exchanged once and cached', async () => {
  const before = await exchanges();
  const caller = await oidc.token(resource);
  const r = await call('/tx', caller);
  assert.equal(r.status, 200, r.body);
  const sent = String(r.json.headers.authorization).replace(/^Bearer /, '');
  assert.notEqual(sent, caller, 'the caller’s token never reaches the upstream');
  const { payload } = await jwtVerify(sent, createRemoteJWKSet(new URL(`${oidc.issuer}/jwks`)), {
    issuer: oidc.issuer,
    audience: UPSTREAM_AUDIENCE,
  });
  assert.equal(payload.sub, 'mcp-client', 'the caller is the subject');
  assert.equal(payload.client_id, 'exchanger');
  assert.equal(payload.scope, 'mcp:tools');
  assert.equal(await exchanges(), before + 1);

  for (let i = 0; i < 3; i++) {
    const again = await call('/tx', caller);
    assert.equal(again.json.headers.authorization, `Bearer ${sent}`);
  }
  assert.equal(await exchanges(), before + 1, 'cached for the expires_in the server gave');
  const other = await oidc.token(resource, ['other-client', 'other-client-secret']);
  const second = await call('/tx', other);
  assert.equal(second.status, 200);
  assert.equal(await exchanges(), before + 2, 'another caller, another exchange');
});

test('an actor token from a header goes into the exchange, never upstream', async () => {
  const caller = await oidc.token(resource);
  const actor = await oidc.token(resource, ['other-client', 'other-client-secret']);
  const r = await call('/tx-actor', caller, { 'x-actor-token': actor });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.headers['x-actor-token'], undefined);
  const jwt = String(r.json.headers.authorization).replace(/^Bearer /, '');
  const { payload } = await jwtVerify(jwt, createRemoteJWKSet(new URL(`${oidc.issuer}/jwks`)));
  assert.deepEqual(payload.act, { sub: 'other-client' });

  const refused = await call('/tx-actor', caller, { 'x-actor-token': 'not-a-token' });
  assert.equal(refused.status, 401, 'the authorization server refused the exchange');
  assert.equal(refused.json.message, 'Token exchange failed');
  assert.match(String(refused.headers['www-authenticate']), /error="invalid_token"/);
});

test('a failing authorization server is a 502, and nothing is forwarded', async () => {
  const caller = await oidc.token(resource, ['other-client', 'other-client-secret']);
  await fetch(`${oidc.issuer}/test/exchange-failure?status=500`, { method: 'POST' });
  try {
    const r = await call('/tx-actor', caller, { 'x-actor-token': caller });
    assert.equal(r.status, 502, r.body);
    assert.equal(r.json.message, 'Token exchange failed');
  } finally {
    await fetch(`${oidc.issuer}/test/exchange-failure?status=0`, { method: 'POST' });
  }
});

test('decK: the token_exchange config syncs, diffs clean and dumps back', async () => {
  await syncCleanly(s, [
    '_format_version: "3.0"',
    '_info: { select_tags: [tx-deck] }',
    'services:',
    '  - name: tx-deck',
    `    url: ${echo.url}`,
    '    routes:',
    '      - name: tx-deck',
    '        paths: [/tx-deck]',
    '        plugins:',
    '          - name: ai-mcp-oauth2',
    '            config:',
    `              resource: ${s.dp.proxyUrl}/tx-deck`,
    `              authorization_servers: [${oidc.issuer}]`,
    '              passthrough_credentials: true',
    '              token_exchange:',
    '                enabled: true',
    `                token_endpoint: ${oidc.issuer}/token`,
    '                client_auth: client_secret_post',
    '                client_id: exchanger',
    '                client_secret: exchanger-secret',
    '                cache: { ttl: 300 }',
    '                request:',
    `                  audience: [${UPSTREAM_AUDIENCE}]`,
    '                  actor_token_source: config',
    '                  actor_token: static-actor',
  ]);
});
