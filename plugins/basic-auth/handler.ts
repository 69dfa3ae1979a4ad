/**
 * basic-auth: identify the consumer from `Proxy-Authorization` or `Authorization: Basic …`
 * (Kong's order), checked against the consumer's hashed password. Kong's messages, headers and
 * anonymous semantics; a header that cannot be decoded is no credential (fail closed).
 */
import { defineHandler, type RequestContextApi } from '../../data-plane/runtime/plugin-api';
import { actAsAnonymous, credentialCameIn, setConsumer, wwwAuthenticate } from '../../data-plane/pdk/auth';
import basicAuthPlugin from './schema';
import { VerifiedPasswords, verifyPassword } from './password';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** `Basic <base64 of user:password>` → the pair; null when it is anything else. */
export function parseBasic(value: string | undefined): { username: string; password: string } | null {
  if (value === undefined) return null;
  const m = /^\s*basic\s+(\S+)\s*$/i.exec(value);
  if (!m || !BASE64.test(m[1]) || m[1].length % 4 !== 0) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1 || decoded.includes('\uFFFD')) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export default defineHandler(basicAuthPlugin, (c, env) => {
  const challenge = wwwAuthenticate('Basic', c.realm);
  const verified = new VerifiedPasswords();

  function anonymousOr(ctx: RequestContextApi, message: string): void {
    if (c.anonymous) return actAsAnonymous(ctx, env, c.anonymous);
    ctx.error(401, message, { 'www-authenticate': challenge });
  }

  /** One header's value; a repeated header is refused rather than read one way or another. */
  function single(ctx: RequestContextApi, name: string): string | undefined | false {
    const raw = ctx.req.headersDistinct[name];
    if (raw && raw.length > 1) return false;
    const v = name === 'proxy-authorization' ? ctx.req.headers[name] : ctx.headers[name];
    return Array.isArray(v) ? false : v;
  }

  return {
    authenticates: true,
    async access(ctx) {
      // With `anonymous`, an earlier auth plugin's success is enough (logical OR).
      if (c.anonymous && ctx.credential) return;
      const proxyHeader = single(ctx, 'proxy-authorization');
      const header = single(ctx, 'authorization');
      if (proxyHeader === false || header === false) return anonymousOr(ctx, 'Unauthorized');
      if (proxyHeader === undefined && header === undefined) return anonymousOr(ctx, 'Unauthorized');
      let given = parseBasic(proxyHeader);
      let cred = given ? env.lookup('basicauth_credentials', given.username) : undefined;
      if (!cred) {
        given = parseBasic(header);
        cred = given ? env.lookup('basicauth_credentials', given.username) : undefined;
      }
      if (c.hide_credentials) delete ctx.headers['authorization'];
      if (!given || !cred || typeof cred.password !== 'string') return anonymousOr(ctx, 'Unauthorized');
      const stored: string = cred.password;
      if (!verified.known(stored, given.password)) {
        if (!(await verifyPassword(given.password, stored))) return anonymousOr(ctx, 'Unauthorized');
        verified.remember(stored, given.password);
      }
      const consumer = env.consumers.get(cred.consumer.id);
      if (!consumer) return anonymousOr(ctx, 'Unauthorized');
      setConsumer(ctx, env, consumer, cred, false);
      credentialCameIn(ctx, 'authorization');
    },
  };
});
