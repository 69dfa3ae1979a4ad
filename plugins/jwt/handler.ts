/**
 * jwt: a token from the query (`uri_param_names`), a cookie (`cookie_names`) or a header
 * (`header_names`, `Bearer …`), whose `key_claim_name` claim (or header) names a consumer's
 * `jwt_secrets` key; its `alg` must be that secret's algorithm, its signature valid under it
 * (jose), and `claims_to_verify` / `maximum_expiration` hold. Kong 3.x answers every failure
 * with 401 and its messages.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { defineHandler, type RequestContextApi } from '../../data-plane/runtime/plugin-api';
import type { Entity } from '../../data-plane/runtime/entity';
import { actAsAnonymous, credentialCameIn, setConsumer, wwwAuthenticate } from '../../data-plane/pdk/auth';
import { isCorsPreflight } from '../../data-plane/runtime/preflight';
import { jwtPlugin } from './schema';

type Failure = { message: string } | Record<string, string>;
const fail = (message: string): Failure => ({ message });

/** The token, where Kong looks for it, in its order; a failure when there are two. */
function tokenOf(
  ctx: RequestContextApi,
  c: { uri_param_names: string[]; cookie_names: string[]; header_names: string[] },
): { token?: string; from?: string; failure?: Failure } {
  const query = new URLSearchParams((ctx.req.url ?? '').split('?')[1] ?? '');
  for (const name of c.uri_param_names) {
    const values = query.getAll(name);
    if (values.length > 1) return { failure: fail('Multiple tokens provided') };
    if (values.length === 1) return { token: values[0] };
  }
  const cookies = String(ctx.req.headers.cookie ?? '');
  for (const name of c.cookie_names)
    for (const part of cookies.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === name && part.slice(eq + 1).trim())
        return { token: part.slice(eq + 1).trim() };
    }
  for (const header of c.header_names) {
    const values = ctx.req.headersDistinct[header.toLowerCase()];
    if (!values) continue;
    if (values.length > 1) return { failure: fail('Multiple tokens provided') };
    const m = /^\s*bearer\s+(\S+)\s*$/i.exec(values[0]);
    if (m) return { token: m[1], from: header.toLowerCase() };
  }
  return {};
}

/** The claims of a compact JWS, unverified (to find its key), or null when it is none. */
function claimsOf(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? claims : null;
  } catch {
    return null;
  }
}

/** Kong's checks of the registered claims asked for, and of the longest expiration allowed. */
function claimsProblem(
  claims: Record<string, unknown>,
  verify: readonly string[],
  maximum: number,
): Failure | null {
  const now = Date.now() / 1000;
  const errors: Record<string, string> = {};
  for (const claim of verify) {
    const v = claims[claim];
    if (typeof v !== 'number') errors[claim] = `'${claim}' must be a number`;
    else if (claim === 'exp' && v <= now) errors.exp = 'token expired';
    else if (claim === 'nbf' && v > now) errors.nbf = 'token not valid yet';
  }
  if (!Object.keys(errors).length && maximum > 0 && typeof claims.exp === 'number')
    if (claims.exp - now > maximum) errors.exp = 'exceeds maximum allowed expiration';
  return Object.keys(errors).length ? errors : null;
}

export default defineHandler(jwtPlugin, (c, env) => {
  const challenge = wwwAuthenticate('Bearer', c.realm);
  const keys = new Map<string, Uint8Array | KeyObject>();

  function keyOf(secret: Entity): Uint8Array | KeyObject | null {
    let key = keys.get(secret.id);
    if (key) return key;
    const alg = String(secret.algorithm ?? 'HS256');
    try {
      if (alg.startsWith('HS'))
        key = c.secret_is_base64
          ? new Uint8Array(Buffer.from(String(secret.secret), 'base64'))
          : new TextEncoder().encode(String(secret.secret));
      else key = createPublicKey(String(secret.rsa_public_key));
    } catch {
      return null;
    }
    keys.set(secret.id, key);
    return key;
  }

  async function authenticate(ctx: RequestContextApi): Promise<Failure | null> {
    const found = tokenOf(ctx, c);
    if (found.failure) return found.failure;
    if (!found.token) return fail('Unauthorized');
    const claims = claimsOf(found.token);
    let header: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(found.token) as Record<string, unknown>;
    } catch {
      return fail('Bad token; invalid JSON');
    }
    if (!claims) return fail('Bad token; invalid JSON');
    const name = c.key_claim_name;
    const keyName = claims[name] ?? header[name];
    if (typeof keyName !== 'string' || !keyName) return fail(`No mandatory '${name}' in claims`);
    const secret = env.lookup('jwt_secrets', keyName);
    if (!secret) return fail(`No credentials found for given '${name}'`);
    const alg = String(secret.algorithm ?? 'HS256');
    if (header.alg !== alg) return fail('Invalid algorithm');
    const key = keyOf(secret);
    if (!key) return fail('Invalid key/secret');
    try {
      await compactVerify(found.token, key, { algorithms: [alg] });
    } catch {
      return fail('Invalid signature');
    }
    const problem = claimsProblem(claims, c.claims_to_verify ?? [], c.maximum_expiration);
    if (problem) return problem;
    const consumer = env.consumers.get(secret.consumer?.id);
    if (!consumer) return fail(`Could not find consumer for '${name}=${keyName}'`);
    setConsumer(ctx, env, consumer, secret, false);
    if (found.from) credentialCameIn(ctx, found.from);
    return null;
  }

  return {
    authenticates: true,
    async access(ctx) {
      if (!c.run_on_preflight && isCorsPreflight(ctx.req)) return;
      // With `anonymous`, an earlier auth plugin's success is enough (logical OR).
      if (c.anonymous && ctx.credential) return;
      const failure = await authenticate(ctx);
      if (!failure) return;
      if (c.anonymous) return actAsAnonymous(ctx, env, c.anonymous);
      ctx.exit(401, failure, { 'www-authenticate': challenge });
    },
  };
});
