/**
 * What Kong's Admin API does below the controllers, in this order: the `Host` check, browser
 * origins and CORS (`admin-cors.ts`), bearer-token auth; body parsing (JSON strictly, form
 * bodies, nothing else) and 405 detection. Errors raised here (body parsing, size limits) reach
 * KongErrorFilter through Nest's error handler.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { accessLine, type LogFile } from '../../shared/logs/log-file';
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { parseFormBody } from './common/form-body';
import type { RouteTable } from './common/route-table';
import type { RequestCounter } from './common/request-counter';
import { configureAdminCors, type AdminOrigins } from './admin-cors';
import { guardHost } from '../../shared/http/management-listener';
import type { HostNames } from '../../shared/http/host-names';

/** Large enough for a whole `tollgate sync` batch of tens of thousands of entities. */
export const ADMIN_BODY_LIMIT = 64 * 1024 * 1024;

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Constant-time comparison whatever the lengths (both sides hashed first). */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(sha256(presented), sha256(expected));
}

function parseJson(body: string): unknown {
  if (body.trim() === '') return {};
  return secureJson.parse(body, undefined, { protoAction: 'error', constructorAction: 'error' });
}

export function configureAdminHttp(
  app: FastifyInstance,
  opts: {
    adminToken?: string;
    hosts: HostNames | null;
    origins: AdminOrigins;
    routes: RouteTable;
    counter: RequestCounter;
    accessLog?: LogFile | null;
  },
) {
  app.addHook('onRoute', (route) => opts.routes.add(route.method as any, route.url));

  app.removeAllContentTypeParsers();
  const cannotParse = () => Object.assign(new Error('Cannot parse JSON body'), { statusCode: 400 });
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJson(body as string));
    } catch {
      done(cannotParse(), undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseFormBody(body as string));
  });
  // A body is read only as what its Content-Type says: `text/plain` (what a page can send
  // without a preflight) or no type at all is never taken for JSON (415), unlike Kong.

  // Every answer carries an id (Kong's X-Kong-Admin-Request-ID) that its access-log line names.
  app.addHook('onRequest', (req, reply, done) => {
    opts.counter.total++;
    const id = randomUUID();
    (req as { adminRequestId?: string }).adminRequestId = id;
    reply.header('x-tollgate-admin-request-id', id);
    done();
  });
  const accessLog = opts.accessLog;
  if (accessLog)
    app.addHook('onResponse', (req, reply, done) => {
      const ua = req.headers['user-agent'];
      accessLog.write(
        accessLine({
          remoteAddr: (req.socket.remoteAddress ?? '-').replace(/^::ffff:/, ''),
          timeMs: Date.now() - reply.elapsedTime,
          method: req.method,
          target: req.url,
          httpVersion: req.raw.httpVersion,
          status: reply.statusCode,
          bodyBytesSent: Number(reply.getHeader('content-length') ?? 0) || 0,
          userAgent: typeof ua === 'string' ? ua : undefined,
          referer: typeof req.headers.referer === 'string' ? req.headers.referer : undefined,
          requestId: (req as { adminRequestId?: string }).adminRequestId ?? '-',
        }),
      );
      done();
    });
  guardHost(app, opts.hosts);
  configureAdminCors(app, opts.origins, opts.routes);
  app.addHook('onRequest', (req, reply, done) => {
    if (!opts.adminToken) return done();
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (m && tokenMatches(m[1].trim(), opts.adminToken)) return done();
    reply
      .status(401)
      .header('www-authenticate', 'Bearer realm="tollgate-admin"')
      .header('content-type', 'application/json; charset=utf-8')
      .send(JSON.stringify({ message: 'Unauthorized' }));
  });

  app.server.on('connection', (socket) => {
    opts.counter.accepted++;
    opts.counter.active++;
    socket.on('close', () => opts.counter.active--);
  });
}
