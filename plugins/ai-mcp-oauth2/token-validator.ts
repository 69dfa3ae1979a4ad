/**
 * Access-token validation for ai-mcp-oauth2: RFC 7662 introspection (client credentials, cached
 * no longer than the token lives) or, without an introspection endpoint, a JWT verified against
 * the authorization server's JWKS (discovered from its metadata unless configured).
 */
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { addClientAuth } from './client-auth';

export type Claims = Record<string, unknown>;
export class InvalidToken extends Error {}

const MAX_CACHE = 10_000;

export class TokenValidator {
  private readonly cache = new Map<string, { claims: Claims; until: number }>();
  private jwks?: ReturnType<typeof createRemoteJWKSet>;
  private jwksUrl?: Promise<string>;

  constructor(private readonly c: Record<string, any>) {}

  async validate(token: string): Promise<Claims> {
    const claims = this.c.introspection_endpoint ? await this.introspect(token) : await this.verifyJwt(token);
    if (!this.c.insecure_relaxed_audience_validation) {
      const aud = claims.aud;
      const list = Array.isArray(aud) ? aud : aud === undefined ? [] : [aud];
      if (!list.includes(this.c.resource))
        throw new InvalidToken('token audience does not match this resource');
    }
    return claims;
  }

  private async post(
    url: string,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<any> {
    const res = await request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        ...headers,
      },
      body: new URLSearchParams(form).toString(),
      headersTimeout: this.c.timeout,
      bodyTimeout: this.c.timeout,
    });
    const text = await res.body.text();
    if (res.statusCode >= 400) throw new InvalidToken(`introspection endpoint answered ${res.statusCode}`);
    return JSON.parse(text);
  }

  private async introspect(token: string): Promise<Claims> {
    const key = createHash('sha256').update(token).digest('base64url');
    const now = Date.now() / 1000;
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.claims;
    const form: Record<string, string> = { token, token_type_hint: 'access_token', ...(this.c.args ?? {}) };
    const headers: Record<string, string> = { ...(this.c.headers ?? {}) };
    // Introspection with `none` sends no client id (as before: the endpoint may be open).
    if (this.c.client_auth !== 'none')
      addClientAuth(form, headers, this.c.client_auth, this.c.client_id, this.c.client_secret);
    const result = await this.post(this.c.introspection_endpoint, form, headers);
    if (!result || result.active !== true) throw new InvalidToken('token is not active');
    if (typeof result.exp === 'number' && result.exp <= now - this.c.jwt_claims_leeway)
      throw new InvalidToken('token expired');
    if (this.c.cache_introspection) {
      // Never cached beyond the token's own expiry (nor beyond an hour without one).
      const until = typeof result.exp === 'number' ? result.exp : now + 3600;
      if (this.cache.size >= MAX_CACHE) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, { claims: result, until });
    }
    return result;
  }

  private discoverJwks(): Promise<string> {
    if (this.c.jwks_endpoint) return Promise.resolve(this.c.jwks_endpoint);
    this.jwksUrl ??= (async () => {
      const issuer = String(this.c.authorization_servers[0]).replace(/\/$/, '');
      const candidates = this.c.metadata_discovery_endpoint
        ? [this.c.metadata_discovery_endpoint]
        : [`${issuer}/.well-known/oauth-authorization-server`, `${issuer}/.well-known/openid-configuration`];
      for (const url of candidates) {
        try {
          const res = await request(url, { headersTimeout: this.c.timeout, bodyTimeout: this.c.timeout });
          if (res.statusCode !== 200) {
            await res.body.dump();
            continue;
          }
          const meta: any = await res.body.json();
          if (typeof meta?.jwks_uri === 'string') return meta.jwks_uri;
        } catch {
          /* try the next location */
        }
      }
      this.jwksUrl = undefined; // retry discovery next time
      throw new InvalidToken('no JWKS found in the authorization server metadata');
    })();
    return this.jwksUrl;
  }

  private async verifyJwt(token: string): Promise<Claims> {
    this.jwks ??= createRemoteJWKSet(new URL(await this.discoverJwks()), {
      cacheMaxAge: this.c.jwks_cache_ttl * 1000,
      timeoutDuration: this.c.timeout,
    });
    try {
      const { payload } = await jwtVerify(token, this.jwks, { clockTolerance: this.c.jwt_claims_leeway });
      return payload as JWTPayload as Claims;
    } catch (err) {
      throw new InvalidToken(`invalid JWT: ${(err as Error).message}`);
    }
  }
}
