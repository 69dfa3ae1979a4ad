/**
 * What every auth plugin shares. The rule they follow (fail closed):
 * - a request is let through unauthenticated only when it is a real CORS preflight
 *   (runtime/preflight.ts) and the plugin is configured not to run on preflights;
 * - success is recorded in `ctx.authenticated`; a request on a route with an auth plugin that
 *   none accepted goes upstream exactly as the client sent it (proxy-handler.ts), so plugins
 *   that add stored credentials (request-transformer-advanced, ai-proxy-advanced) never
 *   decorate it, whatever their order.
 */
import type { Consumer, Entity } from '../runtime/entity';
import type { CompileEnv, RequestContextApi } from '../runtime/plugin-api';
import { defineSlot } from '../runtime/slots';

export function wwwAuthenticate(scheme: string, realm?: string | null): string {
  return realm ? `${scheme} realm="${realm}"` : scheme;
}

/** What every Kong auth plugin does on success: consumer, credential and upstream headers. */
export function setConsumer(
  ctx: RequestContextApi,
  env: CompileEnv,
  consumer: Consumer,
  credential: Entity | null,
  anonymous: boolean,
) {
  ctx.consumer = consumer;
  ctx.credential = credential;
  ctx.authenticated = true;
  ctx.anonymous = anonymous;
  ctx.consumerGroups = env.groupsOfConsumer.get(consumer.id) ?? [];
  const h = ctx.headers;
  h['x-consumer-id'] = consumer.id;
  if (consumer.custom_id) h['x-consumer-custom-id'] = consumer.custom_id;
  else delete h['x-consumer-custom-id'];
  if (consumer.username) h['x-consumer-username'] = consumer.username;
  else delete h['x-consumer-username'];
  if (ctx.consumerGroups.length) h['x-consumer-groups'] = ctx.consumerGroups.map((g) => g.name).join(', ');
  else delete h['x-consumer-groups'];
  if (credential) h['x-credential-identifier'] = credential.id;
  else delete h['x-credential-identifier'];
  if (anonymous) h['x-anonymous-consumer'] = 'true';
  else delete h['x-anonymous-consumer'];
}

/**
 * Kong's `anonymous` on a failed authentication: the configured consumer (id or username)
 * stands in, marked anonymous; one that does not exist is Kong's 500, never a pass.
 */
export function actAsAnonymous(ctx: RequestContextApi, env: CompileEnv, anonymous: string): void {
  const anon = env.consumers.get(anonymous) ?? env.consumersByUsername.get(anonymous);
  if (!anon) return ctx.error(500, `anonymous consumer ${anonymous} is configured but doesn't exist`);
  setConsumer(ctx, env, anon, null, true);
}

const TOKEN_CLAIMS = defineSlot<Record<string, unknown>>('auth:token-claims');

/** The claims of the access token an auth plugin validated (ai-mcp-oauth2), for later plugins. */
export function setTokenClaims(ctx: RequestContextApi, claims: Record<string, unknown>): void {
  ctx.slots.set(TOKEN_CLAIMS, claims);
}

export function tokenClaimsOf(ctx: RequestContextApi): Record<string, unknown> | undefined {
  return ctx.slots.get(TOKEN_CLAIMS);
}

const CREDENTIAL_HEADERS = defineSlot<string[]>('auth:credential-headers');

/**
 * The request header an accepted credential came in (lower case). A request the gateway makes
 * on the caller's behalf elsewhere (a listener's call to a source) never carries it: the
 * credential authorised this route, not the others.
 */
export function credentialCameIn(ctx: RequestContextApi, header: string): void {
  const seen = ctx.slots.get(CREDENTIAL_HEADERS);
  if (seen) seen.push(header);
  else ctx.slots.set(CREDENTIAL_HEADERS, [header]);
}

export function credentialHeadersOf(ctx: RequestContextApi): readonly string[] {
  return ctx.slots.get(CREDENTIAL_HEADERS) ?? [];
}
