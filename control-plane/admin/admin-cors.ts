/**
 * CORS on the Admin API, as Kong answers it (kong/api/api_helpers.lua `cors_filter` and the
 * OPTIONS handler), so that a browser UI on another origin (Kong Manager, Tollgate's console)
 * can use it:
 *
 * - every response carries `Access-Control-Allow-Origin` and `-Allow-Credentials: true`;
 * - `OPTIONS` on any known path is answered 204 with `Allow` / `Access-Control-Allow-Methods`
 *   (the path's methods, HEAD and OPTIONS, sorted) and `Access-Control-Allow-Headers` (the
 *   requested ones, else `Content-Type`), before authentication (browsers send no credentials
 *   on a preflight).
 *
 * The allowed origin: the origin of `TOLLGATE_ADMIN_GUI_URL` when set (Kong's `admin_gui_url`);
 * otherwise, on a loopback-bound Admin API, the request's Origin (or `*` without one), as Kong;
 * otherwise none at all: an Admin API reachable from the network answers no other origin
 * unless one is configured. CORS only governs what a browser lets a page read; the admin
 * token, when set, is still required on every request but preflights.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NOT_FOUND } from '../../shared/errors';
import type { RouteTable } from './common/route-table';

export interface AdminCorsOptions {
  /** The configured UI origin, e.g. `http://127.0.0.1:8002`. */
  allowedOrigin?: string;
  /** Reflect any request Origin (loopback-bound Admin API without a configured origin). */
  reflectOrigin: boolean;
}

export function adminCorsOptions(adminGuiUrl: string | undefined, loopback: boolean): AdminCorsOptions {
  return { allowedOrigin: adminGuiUrl ? new URL(adminGuiUrl).origin : undefined, reflectOrigin: loopback };
}

function allowOrigin(opts: AdminCorsOptions, req: FastifyRequest): string | undefined {
  if (opts.allowedOrigin) return opts.allowedOrigin;
  if (!opts.reflectOrigin) return undefined;
  const origin = req.headers.origin;
  return typeof origin === 'string' && origin !== '' ? origin : '*';
}

function sendJson(reply: FastifyReply, status: number, body: unknown) {
  reply.status(status).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(body));
}

/** Registers the CORS hook; must run before the authentication hook. */
export function configureAdminCors(app: FastifyInstance, opts: AdminCorsOptions, routes: RouteTable) {
  app.addHook('onRequest', (req, reply, done) => {
    const origin = allowOrigin(opts, req);
    if (origin) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-allow-credentials', 'true');
      if (origin !== '*') reply.header('vary', 'Origin');
    }
    if (req.method !== 'OPTIONS') return done();
    const methods = routes.methodsFor(req.url);
    if (!methods.length) return sendJson(reply, 404, NOT_FOUND);
    const allow = methods.join(', ');
    const requested = req.headers['access-control-request-headers'];
    reply
      .status(204)
      .header('allow', allow)
      .header('access-control-allow-methods', allow)
      .header(
        'access-control-allow-headers',
        typeof requested === 'string' && requested ? requested : 'Content-Type',
      )
      .send();
  });
}
