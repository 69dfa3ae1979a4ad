/**
 * cors: answers preflights in the access phase (before auth, priority 2000) and adds CORS
 * headers to every response, including the gateway's own (401s from key-auth, …).
 */
import { corsPlugin } from './schema';
import {
  defineHandler,
  type HeaderMap,
  type RequestContextApi,
  type ResponseState,
} from '../../data-plane/runtime/plugin-api';
import { isCorsPreflight } from '../../data-plane/runtime/preflight';

function normalizeOrigin(origin: string): string {
  try {
    const u = new URL(origin);
    const defaultPort = u.protocol === 'https:' ? '443' : u.protocol === 'http:' ? '80' : '';
    return `${u.protocol}//${u.hostname}${u.port && u.port !== defaultPort ? `:${u.port}` : ''}`;
  } catch {
    return origin;
  }
}

export default defineHandler(corsPlugin, (c) => {
  const origins: string[] = c.origins ?? [];
  const wildcard = origins.length === 0 || origins.includes('*');
  // Each configured origin is a literal or a regex (Kong); anchored at the end like Kong's.
  // Kong: an origin made only of URL characters is a literal (compared after normalising
  // default ports); anything else is a regex, anchored at both ends.
  const matchers = origins
    .filter((o) => o !== '*')
    .map((o) => {
      if (/^[A-Za-z0-9.:/-]+$/.test(o)) {
        const literal = normalizeOrigin(o);
        return (origin: string) => normalizeOrigin(origin) === literal;
      }
      let re: RegExp | null = null;
      try {
        re = new RegExp(`^(?:${o})$`);
      } catch {
        re = null;
      }
      return (origin: string) => re !== null && re.test(origin);
    });
  const methods = (c.methods ?? []).join(',');

  /** Access-Control-Allow-Origin for this request, or null for none. */
  function allowOrigin(req: RequestContextApi['req']): string | null {
    const origin = req.headers.origin;
    if (wildcard) return c.credentials && origin ? origin : '*';
    if (!origin) return null;
    return matchers.some((m) => m(origin)) ? origin : null;
  }

  function common(ctx: RequestContextApi, headers: HeaderMap) {
    if (!ctx.req.headers.origin && !c.allow_origin_absent) return false;
    const acao = allowOrigin(ctx.req);
    if (acao) headers['access-control-allow-origin'] = acao;
    else delete headers['access-control-allow-origin'];
    if (!wildcard || c.credentials) {
      const vary = headers['vary'];
      headers['vary'] = vary ? `${vary}, Origin` : 'Origin';
    }
    if (c.credentials) headers['access-control-allow-credentials'] = 'true';
    return true;
  }

  return {
    access(ctx) {
      const req = ctx.req;
      if (!isCorsPreflight(req) || c.preflight_continue) return;
      const headers: HeaderMap = {};
      common(ctx, headers);
      headers['access-control-allow-methods'] = methods;
      const reqHeaders = req.headers['access-control-request-headers'];
      if (c.headers?.length) headers['access-control-allow-headers'] = c.headers.join(',');
      else if (reqHeaders) headers['access-control-allow-headers'] = String(reqHeaders);
      if (c.max_age !== null && c.max_age !== undefined)
        headers['access-control-max-age'] = String(c.max_age);
      if (c.private_network && req.headers['access-control-request-private-network'] === 'true') {
        headers['access-control-allow-private-network'] = 'true';
      }
      ctx.exit(200, undefined, { ...headers, 'content-length': '0' });
    },
    headerFilter(ctx, res: ResponseState) {
      const req = ctx.req;
      if (isCorsPreflight(req) && !c.preflight_continue) return; // already complete
      if (!common(ctx, res.headers)) return;
      if (c.exposed_headers?.length)
        res.headers['access-control-expose-headers'] = c.exposed_headers.join(',');
    },
  };
});
