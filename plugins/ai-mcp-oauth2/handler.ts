/**
 * ai-mcp-oauth2: the gateway as an OAuth 2.1 resource server for MCP. Serves protected resource
 * metadata (RFC 9728) at `metadata_endpoint`, answers missing or bad tokens with 401 and a
 * `resource_metadata` challenge, validates tokens (introspection or JWKS), maps claims to a
 * consumer and consumer groups, and (by default) removes the inbound token.
 */
import { aiMcpOauth2Plugin } from './schema';
import type { Consumer, ConsumerGroup } from '../../data-plane/runtime/entity';
import type { Static } from '@sinclair/typebox';
import { defineHandler, type CompileEnv, type RequestContextApi } from '../../data-plane/runtime/plugin-api';
import { credentialCameIn, setConsumer, setTokenClaims } from '../../data-plane/pdk/auth';
import { isCorsPreflight } from '../../data-plane/runtime/preflight';
import { InvalidToken, TokenValidator, type Claims } from './token-validator';
import { ExchangeFailed, TokenExchanger, type TokenExchangeConfig } from './token-exchange';

function claimAt(claims: Claims, path: string[] | null | undefined): unknown {
  let v: unknown = claims;
  for (const seg of path ?? [])
    v = v && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined;
  return v;
}

type Config = Static<(typeof aiMcpOauth2Plugin)['schema']>;

/** The consumer a claim names, looked up as `consumer_by` says (undefined: none). */
function consumerOf(c: Config, env: CompileEnv, claims: Claims): Consumer | undefined {
  const value = claimAt(claims, c.consumer_claim);
  if (value === undefined || value === null) return undefined;
  const key = String(value);
  for (const by of c.consumer_by) {
    const consumer =
      by === 'id'
        ? env.consumers.get(key)
        : by === 'username'
          ? env.consumersByUsername.get(key)
          : env.consumersByCustomId.get(key);
    if (consumer) return consumer;
  }
  return undefined;
}

/** The consumer groups a claim names (a list, or a string split on spaces and commas). */
function groupsOf(c: Config, env: CompileEnv, claims: Claims): ConsumerGroup[] {
  const value = claimAt(claims, c.consumer_groups_claim);
  const names = Array.isArray(value)
    ? value.map(String)
    : typeof value === 'string'
      ? value.split(/[\s,]+/).filter(Boolean)
      : [];
  return names.map((n) => env.groupsByName.get(n)).filter((g): g is ConsumerGroup => !!g);
}

/** Claims copied into upstream headers (claim_to_header, upstream_headers). */
function claimHeaders(c: Config, claims: Claims, headers: RequestContextApi['headers']): void {
  const set = (h: string, v: unknown) => {
    if (v !== undefined) headers[h.toLowerCase()] = typeof v === 'string' ? v : JSON.stringify(v);
  };
  for (const { claim, header } of c.claim_to_header ?? []) set(header, claims[claim]);
  for (const { header, path } of c.upstream_headers ?? []) set(header, claimAt(claims, path));
}

export default defineHandler(aiMcpOauth2Plugin, (c, env) => {
  const resource = new URL(c.resource);
  const metadataPath =
    c.metadata_endpoint ?? `${resource.pathname.replace(/\/$/, '')}/.well-known/oauth-protected-resource`;
  const metadataUrl = new URL(metadataPath, resource.origin).toString();
  const challenge = (error?: string) =>
    `Bearer resource_metadata="${metadataUrl}"${error ? `, error="${error}"` : ''}${c.scopes_supported?.length ? `, scope="${c.scopes_supported.join(' ')}"` : ''}`;
  const prm = JSON.stringify({
    resource: c.resource,
    authorization_servers: c.authorization_servers,
    ...(c.scopes_supported ? { scopes_supported: c.scopes_supported } : {}),
    bearer_methods_supported: ['header'],
  });
  const validator = new TokenValidator(c);
  const exchanger = c.token_exchange?.enabled
    ? new TokenExchanger(c.token_exchange as TokenExchangeConfig, c)
    : null;

  const reject = (ctx: RequestContextApi, error?: string): never =>
    ctx.error(401, 'Invalid or inactive token', { 'www-authenticate': challenge(error) });

  /**
   * The caller's token traded for the upstream's (RFC 8693): refused by the authorization
   * server, the caller gets 401 (its token will not do); the server unreachable or answering
   * nonsense, 502. The actor token a header carried does not travel on either.
   */
  async function exchange(ctx: RequestContextApi, x: TokenExchanger, subject: string): Promise<void> {
    const actor = x.actorToken(ctx.headers);
    const header = c.token_exchange?.request.actor_token_header;
    if (c.token_exchange?.request.actor_token_source === 'header' && header)
      delete ctx.headers[header.toLowerCase()];
    try {
      ctx.headers['authorization'] = `Bearer ${await x.exchange(subject, actor)}`;
    } catch (err) {
      if (!(err instanceof ExchangeFailed)) throw err;
      if (err.kind === 'rejected')
        return ctx.error(401, 'Token exchange failed', { 'www-authenticate': challenge('invalid_token') });
      return ctx.error(502, 'Token exchange failed');
    }
  }

  return {
    authenticates: true,
    async access(ctx) {
      const path = (ctx.req.url ?? '/').split('?')[0];
      if (path === metadataPath && (ctx.req.method === 'GET' || ctx.req.method === 'HEAD')) {
        return ctx.exit(200, prm, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
      }
      if (isCorsPreflight(ctx.req)) return;
      const header = ctx.headers['authorization'];
      const m = /^Bearer\s+(\S+)\s*$/i.exec(Array.isArray(header) ? '' : (header ?? ''));
      if (!m) return reject(ctx);
      let claims: Claims;
      try {
        claims = await validator.validate(m[1]);
      } catch (err) {
        if (!(err instanceof InvalidToken)) throw err;
        return reject(ctx, 'invalid_token');
      }

      // claim → consumer
      let consumer: Consumer | undefined;
      if (c.consumer_claim?.length) {
        consumer = consumerOf(c, env, claims);
        if (!consumer && !c.consumer_optional) return reject(ctx, 'invalid_token');
      }
      const credentialId = claimAt(claims, c.credential_claim);
      const credential = credentialId !== undefined ? { id: String(credentialId) } : null;
      if (consumer) setConsumer(ctx, env, consumer, credential, false);
      else ctx.credential = credential;
      ctx.authenticated = true; // a valid token, with or without a mapped consumer
      credentialCameIn(ctx, 'authorization');
      setTokenClaims(ctx, claims);

      // claim → consumer groups (in addition to stored memberships)
      if (c.consumer_groups_claim?.length) {
        const groups = groupsOf(c, env, claims);
        if (!groups.length && !c.consumer_groups_optional) return reject(ctx, 'invalid_token');
        const merged = new Map([...ctx.consumerGroups, ...groups].map((g) => [g.id, g]));
        ctx.consumerGroups = [...merged.values()].sort((a, b) =>
          String(a.name).localeCompare(String(b.name)),
        );
      }
      claimHeaders(c, claims, ctx.headers);
      if (exchanger) return exchange(ctx, exchanger, m[1]);
      // Anti confused-deputy: the user's token does not travel upstream unless asked.
      if (!c.passthrough_credentials) delete ctx.headers['authorization'];
    },
  };
});
