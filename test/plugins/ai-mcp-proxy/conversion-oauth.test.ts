/**
 * The seed's internal-tools pattern: conversion-only plugins define tools, a listener serves them
 * behind ai-mcp-oauth2, and the ACLs judge a claim of the caller's access token
 * (acl_attribute_type oauth_access_token, Kong 3.14). Tokens from oidc-provider (JWT, JWKS).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOidcServer, type OidcServer } from '../../helpers/oidc';
import { connectMcp } from '../../helpers/mcp';
import { mustCreate, startStack, type Stack } from '../../helpers/stack';
import { startPetstoreApi, type PetstoreApi } from '../../fixtures/petstore-api';
import { startMutableMcpFixture, type MutableMcpFixture } from '../../fixtures/mutable-mcp-server';

let s: Stack;
let oidc: OidcServer;
let api: PetstoreApi;
let resource: string;
let mcp: MutableMcpFixture;

before(async () => {
  api = await startPetstoreApi();
  s = await startStack();
  resource = `${s.dp.proxyUrl}/internal`;
  oidc = await startOidcServer({ [resource]: 'jwt' });
  await mustCreate(s.api, '/services', { name: 'pets', url: api.url });
  await mustCreate(s.api, '/services/pets/routes', { name: 'pets-api', paths: ['/pets-api'] });
  await mustCreate(s.api, '/routes/pets-api/plugins', {
    name: 'ai-mcp-proxy',
    tags: ['internal'],
    config: {
      mode: 'conversion-only',
      default_acl: [{ scope: 'tools', allow: ['mcp-client', 'other-client'] }],
      tools: [
        { name: 'list-pets', description: 'List pets', method: 'GET', path: '/api/pets' },
        {
          name: 'admin-area',
          description: 'Admin only',
          method: 'GET',
          path: '/api/admin',
          acl: { allow: ['mcp-client'] },
        },
      ],
    },
  });
  // A real MCP server as a source of the same listener, whose own route judges the token claim.
  mcp = await startMutableMcpFixture([
    { name: 'reports', description: 'Reports', inputSchema: { type: 'object' } },
  ]);
  await mustCreate(s.api, '/services', { name: 'reports', url: `${mcp.url}/mcp` });
  await mustCreate(s.api, '/services/reports/routes', { name: 'reports-mcp', paths: ['/reports-mcp'] });
  await mustCreate(s.api, '/routes/reports-mcp/plugins', {
    name: 'ai-mcp-proxy',
    tags: ['internal'],
    config: {
      mode: 'passthrough-listener',
      acl_attribute_type: 'oauth_access_token',
      access_token_claim_field: '.client_id',
      default_acl: [{ scope: 'tools', deny: ['other-client'] }],
    },
  });
  await mustCreate(s.api, '/services', { name: 'none', url: 'http://127.0.0.1:9' });
  await mustCreate(s.api, '/services/none/routes', {
    name: 'internal',
    paths: ['/internal', '/.well-known/oauth-protected-resource/internal'],
  });
  await mustCreate(s.api, '/routes/internal/plugins', {
    name: 'ai-mcp-oauth2',
    config: {
      resource,
      authorization_servers: [oidc.issuer],
      metadata_endpoint: '/.well-known/oauth-protected-resource/internal',
      passthrough_credentials: false,
    },
  });
  await mustCreate(s.api, '/routes/internal/plugins', {
    name: 'ai-mcp-proxy',
    config: {
      mode: 'listener',
      server: { tag: 'internal' },
      acl_attribute_type: 'oauth_access_token',
      access_token_claim_field: '.client_id',
    },
  });
  await s.synced();
});

after(async () => {
  oidc?.close();
  await s?.close();
  await api?.close();
  await mcp?.close();
});

test('ACLs judge the access token claim: each client sees and calls only what its client_id may', async () => {
  const asClient = async (client: [string, string]) =>
    connectMcp(`${s.dp.proxyUrl}/internal`, {
      authorization: `Bearer ${await oidc.token(resource, client)}`,
    });
  const main = await asClient(['mcp-client', 'mcp-client-secret']);
  assert.deepEqual((await main.listTools()).tools.map((t) => t.name).sort(), [
    'admin-area',
    'list-pets',
    'reports',
  ]);
  await main.callTool({ name: 'reports', arguments: {} });
  assert.deepEqual(mcp.calls, ['reports']);
  const admin = await main.callTool({ name: 'admin-area', arguments: {} });
  assert.match((admin.content as any)[0].text, /admin area reached/);
  const sent = api.received.find((r) => r.url === '/api/admin')!;
  assert.equal(sent.headers.authorization, undefined, 'the token does not travel upstream');
  await main.close();

  const other = await asClient(['other-client', 'other-client-secret']);
  // The source route's claim ACL judges the claim the listener validated.
  assert.deepEqual(
    (await other.listTools()).tools.map((t) => t.name),
    ['list-pets'],
  );
  await assert.rejects(other.callTool({ name: 'reports', arguments: {} }), (err: any) => err.code === -32602);
  assert.deepEqual(mcp.calls, ['reports'], 'the denied client never reached the source');
  const before = api.received.length;
  await assert.rejects(
    other.callTool({ name: 'admin-area', arguments: {} }),
    (err: any) => err.code === -32602 && /not available for token claim 'other-client'/.test(err.message),
  );
  assert.equal(api.received.length, before);
  await other.close();

  const anonymous = await fetch(`${s.dp.proxyUrl}/internal`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /resource_metadata=/);
});
