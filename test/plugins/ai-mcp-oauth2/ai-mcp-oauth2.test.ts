import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mustCreate, startStack, type Stack } from '../../helpers/stack';
import { startGithubMcpFixture, type GithubFixture } from '../../fixtures/github-mcp-server';
import { startOidcServer, type OidcServer } from '../../helpers/oidc';
import { Agent, fetch as undiciFetch } from 'undici';

const STORED = 'kpat_stored_credential';
let s: Stack;
let konnect: GithubFixture;
let oidc: OidcServer;
let issuer: string;
let res: { opaque: string; opaque2: string; jwt: string; jwt2: string };

async function token(resource: string): Promise<string> {
  const t = await oidc.token(resource);
  assert.ok(t);
  return t;
}

async function revoke(t: string) {
  const r = await fetch(`${issuer}/token/revocation`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('mcp-client:mcp-client-secret').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token: t }).toString(),
  });
  assert.equal(r.status, 200);
}

before(async () => {
  s = await startStack({ ssl: true });
  konnect = await startGithubMcpFixture({ token: STORED });
  res = {
    opaque: `${s.dp.proxyUrl}/konnect-mcp`,
    opaque2: `${s.dp.proxyUrl}/elsewhere`,
    jwt: `${s.dp.proxyUrl}/konnect-jwt`,
    jwt2: `${s.dp.proxyUrl}/elsewhere-jwt`,
  };
  oidc = await startOidcServer({
    [res.opaque]: 'opaque',
    [res.opaque2]: 'opaque',
    [res.jwt]: 'jwt',
    [res.jwt2]: 'jwt',
  });
  issuer = oidc.issuer;

  await mustCreate(s.api, '/consumers', { username: 'mcp-client' });
  await mustCreate(s.api, '/services', { name: 'konnect', url: `${konnect.url}/mcp` });
  const common = {
    authorization_servers: [issuer],
    scopes_supported: ['mcp:tools'],
    passthrough_credentials: false,
    consumer_claim: ['sub'],
    consumer_by: ['username', 'custom_id'],
    consumer_optional: true,
  };
  // Token swap as in the seed: the IdP token is validated and removed, the stored one added.
  for (const [name, extra] of [
    [
      'konnect-mcp',
      {
        resource: res.opaque,
        introspection_endpoint: `${issuer}/token/introspection`,
        client_id: 'gateway',
        client_secret: 'gateway-secret',
      },
    ],
    ['konnect-jwt', { resource: res.jwt }],
  ] as const) {
    await mustCreate(s.api, '/services/konnect/routes', {
      name,
      paths: [`/${name}`, `/.well-known/oauth-protected-resource/${name}`],
      request_buffering: false,
      response_buffering: false,
    });
    await mustCreate(s.api, `/routes/${name}/plugins`, {
      name: 'ai-mcp-oauth2',
      config: { ...common, ...extra, metadata_endpoint: `/.well-known/oauth-protected-resource/${name}` },
    });
    await mustCreate(s.api, `/routes/${name}/plugins`, {
      name: 'ai-mcp-proxy',
      config: { mode: 'passthrough-listener', logging: { log_payloads: true, log_statistics: true } },
    });
    await mustCreate(s.api, `/routes/${name}/plugins`, {
      name: 'request-transformer-advanced',
      config: { add: { headers: [`Authorization:Bearer ${STORED}`] } },
    });
  }
  await s.synced();
});

after(async () => {
  oidc?.close();
  await s?.close();
  await konnect?.close();
});

const insecure = new Agent({ connect: { rejectUnauthorized: false } });
const listTools = (path: string, bearer?: string, base = s.dp.proxyUrl) =>
  undiciFetch(`${base}${path}`, {
    dispatcher: insecure,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
  });

test('no token: 401 with a resource_metadata pointer; the PRM is served by the gateway', async () => {
  const r = await listTools('/konnect-mcp');
  assert.equal(r.status, 401);
  assert.equal(
    r.headers.get('www-authenticate'),
    `Bearer resource_metadata="${s.dp.proxyUrl}/.well-known/oauth-protected-resource/konnect-mcp", scope="mcp:tools"`,
  );
  const prm = await fetch(`${s.dp.proxyUrl}/.well-known/oauth-protected-resource/konnect-mcp`);
  assert.equal(prm.status, 200);
  assert.deepEqual(await prm.json(), {
    resource: res.opaque,
    authorization_servers: [issuer],
    scopes_supported: ['mcp:tools'],
    bearer_methods_supported: ['header'],
  });
});

test('opaque token + introspection: the upstream gets the stored credential, never the user token', async () => {
  const t = await token(res.opaque);
  const before = konnect.calls.length;
  const r = await listTools('/konnect-mcp', t);
  assert.equal(r.status, 200, await r.clone().text());
  assert.equal(((await r.json()) as any).result.tools.length, 40);
  const seen = konnect.calls.slice(before);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].headers.authorization, `Bearer ${STORED}`);
  assert.ok(!JSON.stringify(seen[0].headers).includes(t));
});

test('revoked and wrong-audience tokens are refused', async () => {
  const revoked = await token(res.opaque);
  await revoke(revoked);
  const r1 = await listTools('/konnect-mcp', revoked);
  assert.equal(r1.status, 401);
  assert.match(r1.headers.get('www-authenticate')!, /error="invalid_token"/);
  assert.equal((await listTools('/konnect-mcp', await token(res.opaque2))).status, 401);
  assert.equal((await listTools('/konnect-mcp', 'garbage')).status, 401);
});

test('JWT + JWKS (discovered from the AS metadata): audience checked, consumer mapped from sub', async () => {
  const t = await token(res.jwt);
  const before = konnect.calls.length;
  const r = await listTools('/konnect-jwt', t);
  assert.equal(r.status, 200, await r.clone().text());
  const seen = konnect.calls.slice(before);
  assert.equal(seen[0].headers['x-consumer-username'], 'mcp-client');
  assert.equal(seen[0].headers.authorization, `Bearer ${STORED}`);
  assert.equal((await listTools('/konnect-jwt', await token(res.jwt2))).status, 401);
  const tampered = t.slice(0, -4) + (t.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  assert.equal((await listTools('/konnect-jwt', tampered)).status, 401);
});

test('the same flows over the HTTPS listener (self-signed certificate)', async () => {
  const base = s.dp.proxySslUrl!;
  const none = await listTools('/konnect-mcp', undefined, base);
  assert.equal(none.status, 401);
  // The pointer is derived from the configured resource, whichever listener was used.
  assert.equal(
    none.headers.get('www-authenticate'),
    `Bearer resource_metadata="${s.dp.proxyUrl}/.well-known/oauth-protected-resource/konnect-mcp", scope="mcp:tools"`,
  );
  for (const [path, resource] of [
    ['/konnect-mcp', res.opaque],
    ['/konnect-jwt', res.jwt],
  ]) {
    const before = konnect.calls.length;
    const r = await listTools(path, await token(resource), base);
    assert.equal(r.status, 200, path);
    assert.equal(konnect.calls.slice(before)[0].headers.authorization, `Bearer ${STORED}`);
  }
  const revoked = await token(res.opaque);
  await revoke(revoked);
  assert.equal((await listTools('/konnect-mcp', revoked, base)).status, 401);
  assert.equal((await listTools('/konnect-jwt', await token(res.jwt2), base)).status, 401);
});
