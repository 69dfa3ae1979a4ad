/**
 * request-termination: answers every request of its scope itself (Kong's status, message or raw
 * body, or an echo of the request), or only those carrying its `trigger` header or query
 * argument. Runs late in the access phase (priority 2): auth plugins before it still refuse.
 */
import { defineHandler, type RequestContextApi } from '../../data-plane/runtime/plugin-api';
import { requestTerminationPlugin } from './schema';

/** Kong's default messages for the usual statuses. */
const DEFAULT_RESPONSE: Record<number, string> = {
  401: 'Unauthorized',
  404: 'Not found',
  405: 'Method not allowed',
  500: 'An unexpected error occurred',
  502: 'Bad Gateway',
  503: 'Service unavailable',
};

function queryOf(ctx: RequestContextApi): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(ctx.req.url?.split('?')[1] ?? '')) {
    const had = out[k];
    out[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  return out;
}

/** The request as Kong's echo shows it. */
function echoOf(ctx: RequestContextApi, message: string | undefined) {
  const raw = ctx.body?.toString('utf8') ?? '';
  let body: unknown = null;
  try {
    body = raw ? JSON.parse(raw) : null;
  } catch {
    body = null;
  }
  const host = String(ctx.req.headers.host ?? '');
  const { route, service } = ctx;
  return {
    message,
    request: {
      scheme: ctx.clientProtocol,
      host: host.replace(/:\d+$/, ''),
      port: ctx.req.socket.localPort,
      headers: ctx.req.headers,
      query: queryOf(ctx),
      body,
      raw_body: raw,
      method: ctx.req.method,
      path: (ctx.req.url ?? '/').split('?')[0],
    },
    matched_route: route,
    // The service as routed, never its certificate references.
    matched_service: service && { ...service, client_certificate: undefined, ca_certificates: undefined },
  };
}

export default defineHandler(requestTerminationPlugin, (c) => {
  const trigger = c.trigger?.toLowerCase() ?? null;
  return {
    needsRequestBody: c.echo,
    access(ctx) {
      // Only requests that carry the trigger, as a header or a query argument.
      if (trigger && ctx.req.headers[trigger] === undefined && !(c.trigger! in queryOf(ctx))) return;
      const status = c.status_code;
      if (c.echo)
        return ctx.exit(status, JSON.stringify(echoOf(ctx, c.message ?? DEFAULT_RESPONSE[status])), {
          'content-type': 'application/json',
        });
      if (c.body != null)
        return ctx.exit(status, c.body, c.content_type ? { 'content-type': c.content_type } : {});
      const message = c.message ?? DEFAULT_RESPONSE[status];
      return ctx.exit(status, message === undefined ? undefined : { message });
    },
  };
});
