/**
 * RFC 8693 token exchange (Kong's `token_exchange`, 3.14): the caller's validated token is the
 * subject token, exchanged at `token_endpoint` for one minted for the upstream (its audience,
 * scopes, resource), optionally with an actor token (from the config, or a request header:
 * Okta-style IdPs want one). The result is cached per subject, actor and plugin for the
 * `expires_in` the server gives (else `cache.ttl`), never past it, and never logged: cache keys
 * are digests. Anything but a well-formed token is a failure the request does not survive.
 */
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { addClientAuth } from './client-auth';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const MAX_CACHE = 10_000;
const MAX_RESPONSE = 64 * 1024;
/** Tokens are dropped from the cache this long before they expire (clock skew, transit). */
const EARLY_S = 5;

export interface TokenExchangeConfig {
  token_endpoint: string;
  client_auth: 'client_secret_basic' | 'client_secret_post' | 'inherit' | 'none';
  client_id?: string | null;
  client_secret?: string | null;
  cache: { enabled: boolean; ttl: number };
  request: {
    audience?: string[] | null;
    scopes?: string[] | null;
    resource?: string | null;
    subject_token_type: string;
    requested_token_type: string;
    actor_token_source: 'none' | 'config' | 'header';
    actor_token?: string | null;
    actor_token_header?: string | null;
    actor_token_type: string;
  };
}

/** The plugin's own client (what `client_auth: inherit` uses) and HTTP settings. */
export interface Inherited {
  client_auth?: string | null;
  client_id?: string | null;
  client_secret?: string | null;
  timeout: number;
}

/** Why an exchange failed: `rejected` (the server refused it: 401) or `unavailable` (502). */
export class ExchangeFailed extends Error {
  constructor(
    readonly kind: 'rejected' | 'unavailable',
    message: string,
  ) {
    super(message);
  }
}

const digest = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('base64url');

export class TokenExchanger {
  private readonly cache = new Map<string, { token: string; until: number }>();

  constructor(
    private readonly x: TokenExchangeConfig,
    private readonly inherited: Inherited,
  ) {}

  /** The actor token the config or the request gives (undefined: none). */
  actorToken(headers: Record<string, string | string[] | undefined>): string | undefined {
    const r = this.x.request;
    if (r.actor_token_source === 'config') return r.actor_token ?? undefined;
    if (r.actor_token_source === 'header' && r.actor_token_header) {
      const v = headers[r.actor_token_header.toLowerCase()];
      const text = Array.isArray(v) ? undefined : v;
      return text?.replace(/^Bearer\s+/i, '') || undefined;
    }
    return undefined;
  }

  async exchange(subject: string, actor: string | undefined): Promise<string> {
    const key = digest(subject, actor ?? '');
    const now = Date.now() / 1000;
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.token;
    if (hit) this.cache.delete(key);
    const { token, expiresIn } = await this.ask(subject, actor);
    if (this.x.cache.enabled) {
      const ttl = expiresIn ?? this.x.cache.ttl;
      if (ttl - EARLY_S > 0) {
        if (this.cache.size >= MAX_CACHE) this.cache.delete(this.cache.keys().next().value as string);
        this.cache.set(key, { token, until: now + ttl - EARLY_S });
      }
    }
    return token;
  }

  private async ask(
    subject: string,
    actor: string | undefined,
  ): Promise<{ token: string; expiresIn?: number }> {
    const r = this.x.request;
    const form = new URLSearchParams({
      grant_type: GRANT,
      subject_token: subject,
      subject_token_type: r.subject_token_type,
      requested_token_type: r.requested_token_type,
    });
    for (const a of r.audience ?? []) form.append('audience', a);
    if (r.scopes?.length) form.set('scope', r.scopes.join(' '));
    if (r.resource) form.set('resource', r.resource);
    if (actor) {
      form.set('actor_token', actor);
      form.set('actor_token_type', r.actor_token_type);
    }
    const extra: Record<string, string> = {};
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    const inherit = this.x.client_auth === 'inherit';
    addClientAuth(
      extra,
      headers,
      inherit ? (this.inherited.client_auth ?? 'client_secret_basic') : this.x.client_auth,
      inherit ? this.inherited.client_id : this.x.client_id,
      inherit ? this.inherited.client_secret : this.x.client_secret,
    );
    for (const [k, v] of Object.entries(extra)) form.set(k, v);
    let status: number;
    let text: string;
    try {
      const res = await request(this.x.token_endpoint, {
        method: 'POST',
        headers,
        body: form.toString(),
        headersTimeout: this.inherited.timeout,
        bodyTimeout: this.inherited.timeout,
      });
      status = res.statusCode;
      const buf = Buffer.from(await res.body.arrayBuffer());
      if (buf.length > MAX_RESPONSE) throw new Error('response too large');
      text = buf.toString('utf8');
    } catch (err) {
      throw new ExchangeFailed('unavailable', `token endpoint unreachable: ${(err as Error).message}`);
    }
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (status >= 400 && status < 500)
      throw new ExchangeFailed(
        'rejected',
        `token exchange refused (${status}${typeof body?.error === 'string' ? ` ${body.error}` : ''})`,
      );
    if (status !== 200) throw new ExchangeFailed('unavailable', `token endpoint answered ${status}`);
    const token = body?.access_token;
    const type = body?.token_type;
    if (typeof token !== 'string' || !token || /[\s,]/.test(token))
      throw new ExchangeFailed('unavailable', 'token endpoint answered without a usable access_token');
    if (typeof type !== 'string' || !/^(bearer|n_a)$/i.test(type))
      throw new ExchangeFailed(
        'unavailable',
        `token endpoint answered token_type ${String(type).slice(0, 32)}`,
      );
    const expiresIn =
      Number.isFinite(body.expires_in) && body.expires_in >= 0 ? Number(body.expires_in) : undefined;
    return { token, expiresIn };
  }
}
