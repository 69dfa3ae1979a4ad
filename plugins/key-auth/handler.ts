/**
 * key-auth: identify the consumer from an API key in a header, the query string or the body.
 * Messages, headers and anonymous semantics follow Kong's handler.
 */
import { keyAuthPlugin } from './schema';
import { defineHandler, type RequestContextApi } from '../../data-plane/runtime/plugin-api';
import { actAsAnonymous, setConsumer, wwwAuthenticate, credentialCameIn } from '../../data-plane/pdk/auth';
import { isCorsPreflight } from '../../data-plane/runtime/preflight';
import { readBodyParams, removeBodyParam } from '../../data-plane/pdk/body-params';

export default defineHandler(keyAuthPlugin, (c, env) => {
  const challenge = wwwAuthenticate('Key', c.realm);
  const names: string[] = c.key_names;
  const lowerNames = names.map((n) => n.toLowerCase());

  function findKey(ctx: RequestContextApi): {
    key?: string;
    duplicate?: boolean;
    where?: 'header' | 'query' | 'body';
    name?: string;
  } {
    const body = c.key_in_body ? readBodyParams(ctx) : null;
    for (let i = 0; i < names.length; i++) {
      if (c.key_in_header) {
        // The request as earlier plugins left it (Kong: one set of request headers); Node
        // joins repeated headers, so repeats are read from the raw list.
        const v = ctx.headers[lowerNames[i]];
        const raw = ctx.req.headersDistinct[lowerNames[i]];
        if (
          (Array.isArray(v) && v.length > 1) ||
          (raw && raw.length > 1 && v === ctx.req.headers[lowerNames[i]])
        ) {
          return { duplicate: true };
        }
        // Present, even empty, ends the search (Kong): an empty key is no key.
        if (v !== undefined)
          return { key: Array.isArray(v) ? v[0] : v, where: 'header', name: lowerNames[i] };
      }
      if (c.key_in_query) {
        const values = ctx.query.getAll(names[i]);
        if (values.length > 1) return { duplicate: true };
        if (values.length === 1) return { key: values[0], where: 'query', name: names[i] };
      }
      if (body) {
        const v = body[names[i]];
        if (Array.isArray(v)) return { duplicate: true };
        if (typeof v === 'string') return { key: v, where: 'body', name: names[i] };
      }
    }
    return {};
  }

  function anonymousOr(ctx: RequestContextApi, status: number, message: string): void {
    if (c.anonymous) return actAsAnonymous(ctx, env, c.anonymous);
    ctx.error(status, message, { 'www-authenticate': challenge });
  }

  return {
    needsRequestBody: !!c.key_in_body,
    authenticates: true,
    access(ctx) {
      if (!c.run_on_preflight && isCorsPreflight(ctx.req)) return;
      // With `anonymous`, an earlier auth plugin's success is enough (logical OR).
      if (c.anonymous && ctx.credential) return;
      const found = findKey(ctx);
      if (found.duplicate) return anonymousOr(ctx, 401, 'Duplicate API key found');
      if (!found.key) return anonymousOr(ctx, 401, 'No API key found in request');
      const cred = env.lookup('keyauth_credentials', found.key);
      const expired = cred?.ttl ? cred.created_at + cred.ttl <= Date.now() / 1000 : false;
      const consumer = cred && !expired ? env.consumers.get(cred.consumer.id) : undefined;
      if (!cred || !consumer) return anonymousOr(ctx, 401, 'Unauthorized');
      if (c.hide_credentials) {
        // Kong clears the key's name everywhere it may travel, not only where it was found.
        delete ctx.headers[found.name!.toLowerCase()];
        ctx.query.delete(found.name!);
        if (c.key_in_body) removeBodyParam(ctx, found.name!);
      }
      setConsumer(ctx, env, consumer, cred, false);
      if (found.where === 'header') credentialCameIn(ctx, found.name!.toLowerCase());
    },
  };
});
