/**
 * Which browser pages may use the Admin API, and CORS as Kong answers it for those.
 *
 * Stricter than Kong on purpose: Kong's Admin API echoes any `Origin` with credentials, so any
 * web page a platform engineer opens can read every credential from a token-less loopback Admin
 * API and change its config with a form post. Here a page may use the Admin API only when its
 * origin is allowed:
 * - the origins of `TOLLGATE_ADMIN_GUI_URL` (Kong's `admin_gui_url`; comma-separated), and
 * - the console this control plane serves, at any name its listener answers.
 * A request carrying another `Origin` — or a browser's `Sec-Fetch-Site: cross-site|same-site`
 * without an allowed one (a form post, an `<img>`) — is refused with 403 before authentication
 * and before its body is read, whatever its method. Requests without either header (curl,
 * decK, the CLI) are not browsers' and are unaffected.
 *
 * For an allowed origin: every response carries `Access-Control-Allow-Origin: <origin>` with
 * `-Allow-Credentials: true`, and `OPTIONS` on a known path is answered 204 with `Allow` /
 * `Access-Control-Allow-Methods` (the path's methods, HEAD and OPTIONS, sorted) and
 * `Access-Control-Allow-Headers` (the requested ones, else `Content-Type`), as Kong does.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NOT_FOUND } from '../../shared/errors';
import { isLoopbackName } from '../../shared/http/host-names';
import type { RouteTable } from './common/route-table';

export class AdminOrigins {
  private readonly configured: Set<string>;
  private console?: { port: number; bindHost: string; names: Set<string> };

  /** `guiUrls`: TOLLGATE_ADMIN_GUI_URL, one or more URLs separated by commas. */
  constructor(guiUrls: string | undefined) {
    this.configured = new Set(
      (guiUrls ?? '')
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean)
        .map((u) => new URL(u).origin),
    );
  }

  /** The origins of TOLLGATE_ADMIN_GUI_URL (Kong's admin_gui_url). */
  get configuredOrigins(): string[] {
    return [...this.configured];
  }

  /** The console this control plane serves (its port is known once it listens). */
  setConsole(port: number, bindHost: string, allowedHosts: readonly string[]) {
    this.console = { port, bindHost: bindHost.toLowerCase(), names: new Set(allowedHosts) };
  }

  allows(origin: string): boolean {
    if (this.configured.has(origin)) return true;
    const c = this.console;
    if (!c) return false;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    // An origin is scheme://host[:port] and nothing else ("null" and file: pages are not ours).
    if (url.origin !== origin || url.protocol !== 'http:') return false;
    if (Number(url.port || 80) !== c.port) return false;
    const name = url.hostname.replace(/^\[|\]$/g, '');
    return isLoopbackName(name) || c.names.has(name) || name === c.bindHost;
  }
}

function sendJson(reply: FastifyReply, status: number, body: unknown) {
  reply.status(status).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(body));
}

/** Why a browser request is refused (before authentication, before its body is read), or null. */
export function browserRefusal(origins: AdminOrigins, req: FastifyRequest): string | null {
  const all = req.raw.headersDistinct.origin;
  if (all && all.length > 1) return 'more than one Origin header';
  const origin = all?.[0];
  if (origin !== undefined)
    return origins.allows(origin)
      ? null
      : `origin '${origin}' may not use the Admin API (allowed: TOLLGATE_ADMIN_GUI_URL and the console)`;
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site')
    return 'a page of another origin may not use the Admin API';
  return null;
}

/** Registers the browser check and CORS; must run before the authentication hook. */
export function configureAdminCors(app: FastifyInstance, origins: AdminOrigins, routes: RouteTable) {
  app.addHook('onRequest', (req, reply, done) => {
    const refused = browserRefusal(origins, req);
    if (refused) return sendJson(reply, 403, { message: `Forbidden: ${refused}` });
    const origin = req.headers.origin;
    if (origin) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-allow-credentials', 'true');
      reply.header('vary', 'Origin');
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
