/**
 * The console (Kong Manager's entity pages, built from Kong's UI packages in `console/`) is
 * static files on its own listener (`TOLLGATE_CONSOLE_LISTEN`, Kong Manager's 8002). The
 * browser talks to the Admin API on its own origin, with the admin token when one is set, as
 * Kong Manager does; this server holds no secret and forwards nothing.
 */
import { existsSync } from 'node:fs';
import { sep } from 'node:path';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { formatListen, type ListenAddress } from '../../shared/listen';
import { guardHost } from '../../shared/http/management-listener';
import type { HostNames } from '../../shared/http/host-names';

/** Where `npm run build:console` writes the bundle (this file runs from dist/control-plane/console). */
export const CONSOLE_DIST = join(__dirname, '..', '..', '..', 'console', 'dist');

export interface ConsoleServerOptions {
  listen: ListenAddress;
  /** The Admin API as the browser reaches it (Kong's `admin_gui_api_url`). */
  adminApiUrl: string;
  /** The Admin API wants a token: the console asks for it before showing anything. */
  authRequired: boolean;
  /** Host names the listener answers (null: any). */
  hosts: HostNames | null;
  distDir?: string;
}

export interface RunningConsole {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** What the page reads before it starts (`window.__TOLLGATE_CONSOLE__`): no secrets. */
function runtimeConfig(opts: ConsoleServerOptions): string {
  const config = { adminApiUrl: opts.adminApiUrl.replace(/\/+$/, ''), authRequired: opts.authRequired };
  return `window.__TOLLGATE_CONSOLE__ = ${JSON.stringify(config)};\n`;
}

function securityHeaders(app: FastifyInstance, adminApiUrl: string) {
  const adminOrigin = new URL(adminApiUrl).origin;
  const csp = [
    "default-src 'self'",
    // Kong's UI packages compile some validators and flow-editor code at run time.
    "script-src 'self' 'unsafe-eval'",
    `connect-src 'self' ${adminOrigin}`,
    "img-src 'self' data: blob:",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "worker-src 'self' blob:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
  app.addHook('onSend', (_req, reply, payload, done) => {
    reply.header('content-security-policy', csp);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    done(null, payload);
  });
}

/** Undefined when the console was not built (e.g. a data-plane-only install). */
export async function startConsoleServer(opts: ConsoleServerOptions): Promise<RunningConsole | undefined> {
  const root = opts.distDir ?? CONSOLE_DIST;
  if (!existsSync(join(root, 'index.html'))) return undefined;
  const app = Fastify({ logger: false });
  guardHost(app, opts.hosts);
  securityHeaders(app, opts.adminApiUrl);
  app.get('/config.js', (_req, reply) => {
    reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'no-store');
    return runtimeConfig(opts);
  });
  await app.register(fastifyStatic, {
    root,
    index: ['index.html'],
    // File names under assets/ carry their content hash: cache them for good; the rest
    // (index.html) is revalidated on every load so a new build is picked up at once.
    cacheControl: false,
    setHeaders(reply, path) {
      reply.setHeader(
        'cache-control',
        path.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  await app.listen({ host: opts.listen.host, port: opts.listen.port });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://${formatListen({ host: opts.listen.host, port })}`,
    port,
    close: () => app.close(),
  };
}
