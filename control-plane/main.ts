import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServer, type AddressInfo } from 'node:net';
import { isLoopback, formatListen } from '../shared/listen';
import { AppModule } from './app.module';
import { ClusterServer } from './clustering/cluster-server.service';
import { ADMIN_BODY_LIMIT, configureAdminHttp } from './admin/admin-http';
import { AdminOrigins } from './admin/admin-cors';
import { withDataDirLock } from '../shared/data-dir-lock';
import { LogFile } from '../shared/logs/log-file';
import { hostNamesFor } from '../shared/http/host-names';
import { KongErrorFilter } from './admin/common/kong-error.filter';
import { RouteTable } from './admin/common/route-table';
import { RequestCounter } from './admin/common/request-counter';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './database/embedded-postgres';
import type { ControlPlaneOptions } from './options';
import { startConsoleServer } from './console/console-server';

export interface RunningControlPlane {
  app: NestFastifyApplication;
  /** e.g. http://127.0.0.1:8001 (the actual port when 0 was asked). */
  adminUrl: string;
  /** e.g. ws://127.0.0.1:8005 */
  clusterUrl: string;
  /** e.g. http://127.0.0.1:8002, when the console is served. */
  consoleUrl?: string;
  close(): Promise<void>;
}

/** Refuse configurations that would expose the Admin API unauthenticated. */
export function checkAdminExposure(options: ControlPlaneOptions) {
  if (!isLoopback(options.clusterListen.host) && !options.clusterToken) {
    throw new Error(
      `refusing to open the cluster listener on ${formatListen(options.clusterListen)} without TOLLGATE_CLUSTER_TOKEN: ` +
        'set a token or listen on a loopback address (127.0.0.1:8005)',
    );
  }
  if (!isLoopback(options.adminListen.host) && !options.adminToken) {
    throw new Error(
      `refusing to bind the Admin API to ${formatListen(options.adminListen)} without TOLLGATE_ADMIN_TOKEN: ` +
        'set a token or listen on a loopback address (127.0.0.1:8001)',
    );
  }
}

export function startControlPlane(
  options: ControlPlaneOptions,
  opts: { logger?: ('error' | 'warn' | 'log')[] } = {},
): Promise<RunningControlPlane> {
  checkAdminExposure(options);
  // The embedded database belongs to one control plane: checked before it is opened.
  if (options.databaseUrl) return startLockedControlPlane(options, opts);
  return withDataDirLock(options.dataDir, 'control-plane', () => startLockedControlPlane(options, opts));
}

async function startLockedControlPlane(
  options: ControlPlaneOptions,
  { logger = ['error', 'warn'] as ('error' | 'warn' | 'log')[] } = {},
): Promise<RunningControlPlane> {
  // A taken port fails the start before the database is opened (and named by its variable).
  for (const l of [options.adminListen, options.clusterListen, options.consoleListen])
    if (l && l.port !== 0) await portFree(l).catch((err) => Promise.reject(listenerInUse(err, options)));
  let embedded: EmbeddedPostgres | undefined;
  if (!options.databaseUrl) embedded = await startEmbeddedPostgres(options.dataDir, options.progress);
  options.progress?.('running migrations and starting the Admin API…');
  try {
    const adapter = new FastifyAdapter({ bodyLimit: ADMIN_BODY_LIMIT, return503OnClosing: false });
    const app = await NestFactory.create<NestFastifyApplication>(
      await AppModule.register(options, embedded),
      adapter,
      {
        logger,
        abortOnError: false,
        bodyParser: false,
      },
    );
    const routes = app.get(RouteTable);
    const origins = new AdminOrigins(options.adminGuiUrl);
    const accessLog = options.adminAccessLog ? LogFile.open(options.adminAccessLog, '/dev/stdout') : null;
    configureAdminHttp(app.getHttpAdapter().getInstance(), {
      adminToken: options.adminToken,
      hosts: hostNamesFor(options.adminListen.host, options.allowedHosts ?? []),
      origins,
      accessLog,
      routes,
      counter: app.get(RequestCounter),
    });
    app.useGlobalFilters(new KongErrorFilter(routes));
    await app.listen(options.adminListen.port, options.adminListen.host);
    const addr = app.getHttpServer().address() as AddressInfo;
    const adminUrl = `http://${formatListen({ host: options.adminListen.host, port: addr.port })}`;
    const consoleServer = options.consoleListen
      ? await startConsoleServer({
          listen: options.consoleListen,
          adminApiUrl: options.adminGuiApiUrl ?? adminUrl,
          authRequired: Boolean(options.adminToken),
          hosts: hostNamesFor(options.consoleListen.host, options.allowedHosts ?? []),
        }).catch(async (err) => {
          await app.close();
          throw err;
        })
      : undefined;
    if (consoleServer)
      origins.setConsole(consoleServer.port, options.consoleListen!.host, options.allowedHosts ?? []);
    if (options.consoleListen && !consoleServer)
      new Logger('Console').warn(
        'console not built (npm run build:console): TOLLGATE_CONSOLE_LISTEN not opened',
      );
    const clusterUrl = `ws://${formatListen({ host: options.clusterListen.host, port: app.get(ClusterServer).port })}`;
    return {
      app,
      adminUrl,
      clusterUrl,
      consoleUrl: consoleServer?.url,
      async close() {
        await consoleServer?.close();
        await app.close();
        await accessLog?.close();
        await embedded?.stop();
      },
    };
  } catch (err) {
    await embedded?.stop();
    throw listenerInUse(err, options);
  }
}

function portFree(l: { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(l.port, l.host, () => probe.close(() => resolve()));
  });
}

/** A port already taken, named by the variable that chose it. */
function listenerInUse(err: unknown, options: ControlPlaneOptions): unknown {
  const e = err as NodeJS.ErrnoException & { port?: number };
  if (e?.code !== 'EADDRINUSE') return err;
  const listeners: [string, { host: string; port: number } | undefined][] = [
    ['TOLLGATE_ADMIN_LISTEN', options.adminListen],
    ['TOLLGATE_CLUSTER_LISTEN', options.clusterListen],
    ['TOLLGATE_CONSOLE_LISTEN', options.consoleListen],
  ];
  const hit = listeners.find(([, l]) => l && l.port !== 0 && l.port === e.port);
  if (!hit) return err;
  return new Error(
    `${hit[0]} ${formatListen(hit[1]!)} is already in use (another tollgate, or another program, listens there): stop it or choose another address`,
  );
}
