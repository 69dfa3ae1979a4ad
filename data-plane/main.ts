/**
 * A data plane: serves the snapshot it holds (from the control plane or its disk cache),
 * proxies traffic, and never stops serving because the control plane is away.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { existsSync, readFileSync } from 'node:fs';
import { ensurePrivateDir, writePrivateFile } from '../shared/private-files';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { PLUGIN_LIST } from '../shared/plugins/registry';
import { PLUGIN_HANDLERS } from './plugins';
import { formatListen, type ListenAddress } from '../shared/listen';
import type { Snapshot } from '../shared/snapshot';
import { ConfigCache } from './clustering/config-cache';
import { CpLink } from './clustering/cp-link';
import { compile } from './runtime/compiled-config';
import { ConfigHolder } from './runtime/config-holder';
import { createProxyHandler } from './proxy/proxy-handler';
import { sendError } from './errors';
import { MAX_REQUEST_HEADERS } from './proxy/request-guard';
import { UpstreamPools } from './proxy/upstream-pools';
import { loadOrCreateCertificate } from './proxy/tls-certificate';
import { ProxyMetrics } from './status/metrics';
import { buildStatusServer } from './status/status-server';
import type { DataPlaneOptions } from './options';
import { AnalyticsSpool } from './analytics/spool';
import type { AnalyticsRecord } from '../shared/analytics/record';

export interface RunningDataPlane {
  nodeId: string;
  dataDir: string;
  proxyUrl: string;
  proxySslUrl?: string;
  statusUrl: string;
  holder: ConfigHolder;
  link: CpLink;
  analytics: AnalyticsSpool;
  close(): Promise<void>;
}

/** A DP keeps its node id across restarts (stored in its data dir) unless one is given. */
function nodeIdFor(dataDir: string, given?: string): string {
  if (given) return given;
  const file = join(dataDir, 'node_id');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const id = randomUUID();
  writePrivateFile(file, id);
  return id;
}

/** Whatever goes wrong in one request stays in that request: never an unhandled rejection. */
function guard(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  log: (l: string) => void,
) {
  return (req: IncomingMessage, res: ServerResponse) => {
    handler(req, res).catch((err) => {
      log(`request failed: ${(err as Error).stack ?? err}`);
      try {
        sendError(res, 500, randomUUID()); // destroys the socket if headers already went out
      } catch {
        res.destroy();
      }
    });
  };
}

function listen(server: Server, addr: { host: string; port: number }): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startDataPlane(
  options: DataPlaneOptions,
  {
    log = (line: string): void => void process.stderr.write(`[data-plane] ${line}\n`),
  }: { log?: (line: string) => void } = {},
): Promise<RunningDataPlane> {
  ensurePrivateDir(options.dataDir);
  const nodeId = nodeIdFor(options.dataDir, options.nodeId);
  // A plugin runs here when it has a handler and TOLLGATE_PLUGINS (if set) lists it.
  const handlers = new Map(
    PLUGIN_HANDLERS.filter((h) => !options.plugins || options.plugins.includes(h.name)).map((h) => [
      h.name,
      h,
    ]),
  );
  const available = PLUGIN_LIST.filter((p) => handlers.has(p.name));
  const holder = new ConfigHolder();
  const metrics = new ProxyMetrics();
  const pools = new UpstreamPools();
  const cache = new ConfigCache(options.dataDir);
  let lastApplyError: string | undefined;

  const applySnapshot = (snapshot: Snapshot, persist: boolean) => {
    const started = performance.now();
    try {
      const compiled = compile(snapshot, { handlers });
      holder.swap(compiled);
      lastApplyError = undefined;
    } catch (err) {
      lastApplyError = (err as Error).message;
      metrics.applyFailures.inc();
      throw err;
    }
    const swapped = performance.now();
    if (persist) {
      try {
        cache.write(snapshot);
      } catch (err) {
        log(`could not write config cache: ${(err as Error).message}`);
      }
    }
    // The ack follows this line immediately (cp-link sends it when apply returns).
    log(
      `applied config version ${snapshot.version} (${snapshot.hash.slice(0, 12)}): compiled in ${(swapped - started).toFixed(1)} ms, cached in ${(performance.now() - swapped).toFixed(1)} ms`,
    );
  };

  // 1. Start from the disk cache: serve even if the control plane never answers.
  const cached = cache.load();
  let cacheProblem: string | undefined;
  if (cached.snapshot) {
    try {
      applySnapshot(cached.snapshot, false);
      log(`serving cached config version ${cached.snapshot.version} (${cached.snapshot.hash.slice(0, 12)})`);
    } catch (err) {
      cacheProblem = `cached config not applicable: ${(err as Error).message}`;
    }
  } else if ('problem' in cached && cached.problem) {
    cacheProblem = cached.problem;
    log(`ignoring config cache: ${cached.problem}`);
  }

  // Analytics leave the request path into an outbox that survives restarts.
  let link: CpLink | undefined = undefined;
  const analytics = new AnalyticsSpool({
    dir: join(options.dataDir, 'analytics'),
    send: (text) => link?.sendText(text) ?? false,
    log,
  });
  analytics.start();
  const recordAnalytics = (records: AnalyticsRecord[]) => analytics.record(records);

  // 2. Listeners.
  const servers: Server[] = [];
  const proxyContext = {
    holder,
    pools,
    metrics,
    log,
    nodeId,
    analytics: options.analytics === false ? undefined : recordAnalytics,
    allowedHosts: options.allowedHosts,
  };
  const serveProxy = async (server: Server, protocol: 'http' | 'https', addr: ListenAddress) => {
    // One more header than the proxy accepts, so that too many are seen (431) rather than cut.
    server.maxHeadersCount = MAX_REQUEST_HEADERS + 1;
    const port = await listen(server, addr);
    server.on('request', guard(createProxyHandler(proxyContext, protocol, port, addr.host), log));
    servers.push(server);
    return port;
  };
  const proxyPort = await serveProxy(
    createHttpServer({ keepAliveTimeout: 65_000 }),
    'http',
    options.proxyListen,
  );
  let proxySslUrl: string | undefined;
  if (options.proxySslListen) {
    const tls = await loadOrCreateCertificate(options.dataDir);
    const https = createHttpsServer({ cert: tls.cert, key: tls.key, keepAliveTimeout: 65_000 });
    const sslPort = await serveProxy(https, 'https', options.proxySslListen);
    proxySslUrl = `https://${formatListen({ host: options.proxySslListen.host, port: sslPort })}`;
  }

  // 3. The cluster link.
  link = new CpLink({
    cpUrl: options.cpUrl,
    clusterToken: options.clusterToken,
    nodeId,
    plugins: available.map((p) => ({ name: p.name, version: p.version })),
    running: () => ({ version: holder.current?.version ?? 0, hash: holder.current?.hash ?? '' }),
    apply: (snapshot) => applySnapshot(snapshot, true),
    log,
  });
  link.on('connected', () => analytics.setConnected(true));
  link.on('disconnected', () => analytics.setConnected(false));
  link.on('analytics_ack', (id: string) => analytics.ack(id));
  link.start();

  const status = buildStatusServer({
    holder,
    link,
    metrics,
    nodeId,
    cacheProblem,
    lastApplyError: () => lastApplyError,
    analytics: () => analytics.stats(),
  });
  await status.listen({ host: options.statusListen.host, port: options.statusListen.port });
  const statusPort = (status.server.address() as AddressInfo).port;

  return {
    nodeId,
    dataDir: options.dataDir,
    proxyUrl: `http://${formatListen({ host: options.proxyListen.host, port: proxyPort })}`,
    proxySslUrl,
    statusUrl: `http://${formatListen({ host: options.statusListen.host, port: statusPort })}`,
    holder,
    link,
    analytics,
    async close() {
      await link!.stop();
      await analytics.stop();
      await status.close();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
      await pools.close();
      metrics.stop();
    },
  };
}
