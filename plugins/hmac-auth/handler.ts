/**
 * hmac-auth: a request signed with a consumer's secret (`Authorization` or `Proxy-Authorization:
 * hmac username="…", algorithm="hmac-sha256", headers="date request-line", signature="…"`),
 * within `clock_skew` of its `Date`/`X-Date`, signing every header `enforce_headers` names, and
 * with `validate_request_body` a `Digest: SHA-256=…` of the body. Kong's messages; signatures
 * compared in constant time; a repeated signed header is refused rather than read either way.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { defineHandler, type RequestContextApi } from '../../data-plane/runtime/plugin-api';
import { actAsAnonymous, credentialCameIn, setConsumer, wwwAuthenticate } from '../../data-plane/pdk/auth';
import { hmacAuthPlugin } from './schema';

const NOT_VALID = 'HMAC signature cannot be verified';
const NOT_SAME = 'HMAC signature does not match';
const NO_DATE = `${NOT_VALID}, a valid date or x-date header is required for HMAC Authentication`;
const DIGESTS = {
  'hmac-sha1': 'sha1',
  'hmac-sha256': 'sha256',
  'hmac-sha384': 'sha384',
  'hmac-sha512': 'sha512',
};
/** An HTTP date (IMF-fixdate, RFC 9110). */
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

interface HmacParams {
  username: string;
  algorithm: string;
  headers: string[];
  signature: string;
}

/** Kong's parse of `hmac username="…", algorithm="…", headers="…", signature="…"`. */
export function parseHmac(value: string | undefined): HmacParams | null {
  if (!value) return null;
  const m =
    /^\s*hmac\s+username="([^"]+)",\s*algorithm="([^"]+)",\s*headers="([^"]+)",\s*signature="([^"]+)"\s*$/i.exec(
      value,
    );
  if (!m) return null;
  return { username: m[1], algorithm: m[2], headers: m[3].split(' ').filter(Boolean), signature: m[4] };
}

/** A header's one value; undefined when absent, false when repeated. */
function one(ctx: RequestContextApi, name: string): string | undefined | false {
  const values = ctx.req.headersDistinct[name];
  if (!values) return undefined;
  return values.length === 1 ? values[0] : false;
}

/** The request's date header is an HTTP date within `skew` seconds of now. */
function fresh(ctx: RequestContextApi, name: string, skew: number): boolean {
  const date = one(ctx, name);
  if (!date || !HTTP_DATE.test(date)) return false;
  const at = Date.parse(date);
  return Number.isFinite(at) && Math.abs(Date.now() - at) / 1000 <= skew;
}

/** Kong's signing string: each signed header as `name: value`, or the request line. */
function signingString(ctx: RequestContextApi, headers: string[]): string | null {
  const lines: string[] = [];
  for (const h of headers) {
    const name = h.toLowerCase();
    const value = one(ctx, name);
    if (value === false) return null;
    if (value !== undefined) lines.push(`${name}: ${value}`);
    else if (name === 'request-line')
      lines.push(`${ctx.req.method} ${ctx.req.url} HTTP/${ctx.req.httpVersion}`);
    else lines.push(`${name}:`);
  }
  return lines.join('\n');
}

/** The body is the one its `Digest` names (no digest: no body). */
function bodyMatches(ctx: RequestContextApi): boolean {
  const body = ctx.body ?? Buffer.alloc(0);
  const digest = one(ctx, 'digest');
  if (digest === false) return false;
  if (digest === undefined) return body.length === 0;
  return digest === `SHA-256=${createHash('sha256').update(body).digest('base64')}`;
}

export default defineHandler(hmacAuthPlugin, (c, env) => {
  const challenge = wwwAuthenticate('hmac', c.realm);
  const allowed = new Set<string>(c.algorithms);

  /** Null when the request is authenticated; else why not. */
  function authenticate(ctx: RequestContextApi): string | null {
    const proxyHeader = one(ctx, 'proxy-authorization');
    const header = one(ctx, 'authorization');
    if (proxyHeader === false || header === false) return 'Unauthorized';
    if (proxyHeader === undefined && header === undefined) return 'Unauthorized';
    if (!fresh(ctx, 'x-date', c.clock_skew) && !fresh(ctx, 'date', c.clock_skew)) return NO_DATE;
    let params = parseHmac(proxyHeader);
    let from = 'proxy-authorization';
    if (!params) {
      params = parseHmac(header);
      from = 'authorization';
    }
    if (!params) return NOT_VALID;
    const signed = new Set(params.headers.map((h) => h.toLowerCase()));
    if (c.enforce_headers.some((h) => !signed.has(h.toLowerCase()))) return NOT_VALID;
    if (!allowed.has(params.algorithm)) return NOT_VALID;
    const cred = env.lookup('hmacauth_credentials', params.username);
    if (!cred || typeof cred.secret !== 'string') return NOT_VALID;
    const text = signingString(ctx, params.headers);
    if (text === null) return NOT_VALID;
    const expected = createHmac(DIGESTS[params.algorithm as keyof typeof DIGESTS], cred.secret)
      .update(text)
      .digest();
    const given = Buffer.from(params.signature, 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return NOT_SAME;
    if (c.validate_request_body && !bodyMatches(ctx)) return NOT_SAME;
    const consumer = env.consumers.get(cred.consumer.id);
    if (!consumer) return NOT_VALID;
    if (c.hide_credentials) delete ctx.headers[from];
    setConsumer(ctx, env, consumer, cred, false);
    credentialCameIn(ctx, from);
    return null;
  }

  return {
    authenticates: true,
    needsRequestBody: c.validate_request_body,
    access(ctx) {
      // With `anonymous`, an earlier auth plugin's success is enough (logical OR).
      if (c.anonymous && ctx.credential) return;
      const problem = authenticate(ctx);
      if (!problem) return;
      if (c.anonymous) return actAsAnonymous(ctx, env, c.anonymous);
      ctx.error(401, problem, { 'www-authenticate': challenge });
    },
  };
});
