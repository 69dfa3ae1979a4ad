/**
 * What every proxying process has: the running config, its plugin handlers, upstream pools,
 * metrics and the proxy listeners. A single-process data plane (main.ts) and each worker of a
 * multi-process one (workers/worker.ts) are built on it.
 */
import { LogFile } from '../shared/logs/log-file';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { SecureContext } from 'node:tls';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { PLUGIN_LIST } from '../shared/plugins/registry';
import type { PluginDefinition } from '../shared/plugins/definition';
import { formatListen, type ListenAddress } from '../shared/listen';
import type { Snapshot } from '../shared/snapshot';
import type { AnalyticsRecord } from '../shared/analytics/record';
import { PLUGIN_HANDLERS } from './plugins';
import { compile, type CompiledConfig } from './runtime/compiled-config';
import { ConfigHolder } from './runtime/config-holder';
import type { PluginHandler } from './runtime/plugin-api';
import { createProxyHandler } from './proxy/proxy-handler';
import type { ProxyContext } from './proxy/proxy-context';
import { sendError } from './errors';
import { MAX_REQUEST_HEADERS } from './proxy/request-guard';
import { createRouteCaller } from './proxy/route-call';
import { UpstreamPools } from './proxy/upstream-pools';
import { Balancers } from './balancer/balancers';
import { ResolvedNames } from './dns/resolved-names';
import { DnsResolver } from './dns/dns-resolver';
import { dnsOptionsFromEnv } from './dns/dns-options';
import { VaultRotation } from './runtime/vault-rotation';
import { VaultResolver } from './runtime/vault';
import { loadOrCreateCertificate } from './proxy/tls-certificate';
import { ProxyMetrics } from './status/metrics';
import { ProcessPluginRuntime } from './runtime/plugin-runtime';
import type { DataPlaneOptions } from './options';

export interface Serving {
  holder: ConfigHolder;
  metrics: ProxyMetrics;
  /** Plugins' process-wide state, reports and the control plane's pushed state. */
  runtime: ProcessPluginRuntime;
  /** The upstreams' balancers: their targets' health, reported to the control plane. */
  balancers: Balancers;
  /** Plugins this process runs (bundled, narrowed by TOLLGATE_PLUGINS). */
  available: PluginDefinition[];
  lastApplyError: string | undefined;
  /** Ask DNS for the names a snapshot's targets use, before `prepare` (never throws). */
  resolve(snapshot: Snapshot): Promise<void>;
  /** Compile a snapshot without serving it yet (throws ApplyError). */
  prepare(snapshot: Snapshot): CompiledConfig;
  /** Serve a compiled config from now on (requests in flight keep theirs). */
  swap(compiled: CompiledConfig): void;
  /** Open the proxy listeners; the URLs they serve on. */
  listen(): Promise<{ proxyUrl: string; proxySslUrl?: string }>;
  close(): Promise<void>;
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

function listenOn(server: Server, addr: { host: string; port: number }): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => resolve((server.address() as AddressInfo).port));
  });
}

type ServeProxy = (server: Server, protocol: 'http' | 'https', addr: ListenAddress) => Promise<number>;

/** The proxy listener, and the TLS one when configured (its certificate from the data dir). */
async function listenProxies(options: DataPlaneOptions, serveProxy: ServeProxy, holder: ConfigHolder) {
  const proxyPort = await serveProxy(
    createHttpServer({ keepAliveTimeout: 65_000 }),
    'http',
    options.proxyListen,
  );
  let proxySslUrl: string | undefined;
  if (options.proxySslListen) {
    const tls = await loadOrCreateCertificate(options.dataDir);
    // A configured certificate for the client's SNI, else the listener's own (Kong's default).
    const SNICallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) =>
      cb(null, holder.current?.certificates.forServerName(servername));
    const https = createHttpsServer({ cert: tls.cert, key: tls.key, keepAliveTimeout: 65_000, SNICallback });
    const sslPort = await serveProxy(https, 'https', options.proxySslListen);
    proxySslUrl = `https://${formatListen({ host: options.proxySslListen.host, port: sslPort })}`;
  }
  return {
    proxyUrl: `http://${formatListen({ host: options.proxyListen.host, port: proxyPort })}`,
    proxySslUrl,
  };
}

function closeServer(s: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  });
}

function proxyContextOf(
  options: DataPlaneOptions,
  ctx: { nodeId: string; log: (line: string) => void; analytics?: (records: AnalyticsRecord[]) => void },
  holder: ConfigHolder,
  pools: UpstreamPools,
  metrics: ProxyMetrics,
): ProxyContext {
  return {
    holder,
    pools,
    metrics,
    log: ctx.log,
    nodeId: ctx.nodeId,
    analytics: options.analytics === false ? undefined : ctx.analytics,
    allowedHosts: options.allowedHosts,
    // Programmatic starts (tests, benches) log nothing unless asked; the CLI passes the env.
    accessLog: options.accessLog === undefined ? null : LogFile.open(options.accessLog, '/dev/stdout'),
    errorLog: options.errorLog === undefined ? null : LogFile.open(options.errorLog, '/dev/stderr'),
  };
}

export function createServing(
  options: DataPlaneOptions,
  ctx: {
    nodeId: string;
    log: (line: string) => void;
    analytics?: (records: AnalyticsRecord[]) => void;
    /** Where plugins' reports go (the analytics spool, whether or not records are built). */
    reports?: (kind: string, data: unknown) => boolean;
  },
): Serving {
  // A plugin runs here when it has a handler and TOLLGATE_PLUGINS (if set) lists it.
  const handlers = new Map<string, PluginHandler>(
    PLUGIN_HANDLERS.filter((h) => !options.plugins || options.plugins.includes(h.name)).map((h) => [
      h.name,
      h,
    ]),
  );
  const holder = new ConfigHolder();
  const metrics = new ProxyMetrics();
  const runtime = new ProcessPluginRuntime(metrics.registry, ctx.reports);
  const pools = new UpstreamPools();
  const dns = options.dns ?? dnsOptionsFromEnv();
  const balancers = new Balancers(new ResolvedNames(new DnsResolver(dns), dns));
  const rotation = new VaultRotation((snapshot) => serving.swap(serving.prepare(snapshot)), ctx.log);
  const servers: Server[] = [];
  const proxyContext = proxyContextOf(options, ctx, holder, pools, metrics);
  const serveProxy: ServeProxy = async (server, protocol, addr) => {
    // One more header than the proxy accepts, so that too many are seen (431) rather than cut.
    server.maxHeadersCount = MAX_REQUEST_HEADERS + 1;
    const port = await listenOn(server, addr);
    server.on('request', guard(createProxyHandler(proxyContext, protocol, port, addr.host), ctx.log));
    servers.push(server);
    return port;
  };

  const serving: Serving = {
    holder,
    metrics,
    runtime,
    balancers,
    available: PLUGIN_LIST.filter((p) => handlers.has(p.name)),
    lastApplyError: undefined,
    resolve: (snapshot) => balancers.resolve(snapshot.config),
    prepare(snapshot) {
      try {
        return compile(snapshot, {
          handlers,
          runtime,
          routeCaller: (config) => createRouteCaller(proxyContext, config),
          balancers,
        });
      } catch (err) {
        serving.lastApplyError = (err as Error).message;
        metrics.applyFailures.inc();
        throw err;
      }
    },
    swap(compiled) {
      holder.swap(compiled);
      balancers.activate(compiled.balancers);
      rotation.watch(
        compiled.snapshot,
        compiled.vaults,
        () => new VaultResolver(compiled.snapshot.config, process.env),
      );
      serving.lastApplyError = undefined;
    },
    listen: () => listenProxies(options, serveProxy, holder),
    async close() {
      await Promise.all(servers.map(closeServer));
      balancers.close();
      rotation.stop();
      await runtime.close();
      await pools.close();
      await proxyContext.accessLog?.close();
      await proxyContext.errorLog?.close();
      metrics.stop();
    },
  };
  return serving;
}
