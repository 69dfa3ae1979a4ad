import { availableParallelism } from 'node:os';
import { parseListen, type ListenAddress } from '../shared/listen';
import { parseHostList } from '../shared/http/host-names';
import { dnsOptionsFromEnv, type DnsOptions } from './dns/dns-options';

export interface DataPlaneOptions {
  proxyListen: ListenAddress;
  /** null: no TLS listener. */
  proxySslListen: ListenAddress | null;
  statusListen: ListenAddress;
  /** ws(s)://host:port of the control plane's cluster listener. */
  cpUrl: string;
  clusterToken?: string;
  dataDir: string;
  nodeId: string;
  /** Plugin names this data plane runs (TOLLGATE_PLUGINS; default: every bundled plugin). */
  plugins?: string[];
  /**
   * Host names a loopback-bound proxy listener accepts in Host/Origin besides loopback names
   * (TOLLGATE_PROXY_ALLOWED_HOSTS, comma-separated; `*`: any). See proxy/dns-rebinding.ts.
   */
  allowedHosts?: string[];
  /**
   * Host names the loopback-bound status listener answers besides loopback names
   * (TOLLGATE_ALLOWED_HOSTS, comma-separated; shared/http/host-names.ts).
   */
  managementHosts?: string[];
  /** Kong's proxy access log (TOLLGATE_PROXY_ACCESS_LOG): a path, `off`; default /dev/stdout. */
  accessLog?: string;
  /** Kong's error log (TOLLGATE_PROXY_ERROR_LOG): a path, `off`; default /dev/stderr. */
  errorLog?: string;
  /** Analytics records (TOLLGATE_ANALYTICS=off: none are built or sent). Default on. */
  analytics?: boolean;
  /**
   * Proxy processes (TOLLGATE_DP_WORKERS, default: the CPUs available). 1 runs everything in
   * one process; more run that many workers behind the same listeners (workers/primary.ts).
   */
  workers?: number;
  /** Kong's dns_* settings (TOLLGATE_DNS_*; dns/dns-options.ts): how targets resolve. */
  dns?: DnsOptions;
}

/** TOLLGATE_DP_WORKERS: a whole number from 1 to 64 (default: the CPUs available, at most 64). */
export function workersFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return Math.min(64, availableParallelism());
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 64)
    throw new Error(`TOLLGATE_DP_WORKERS: expected a whole number from 1 to 64, got '${value}'`);
  return Number(value);
}

export function dataPlaneOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): DataPlaneOptions {
  const ssl = env.TOLLGATE_PROXY_SSL_LISTEN ?? '127.0.0.1:8443';
  return {
    proxyListen: parseListen(env.TOLLGATE_PROXY_LISTEN ?? '127.0.0.1:8000', 'TOLLGATE_PROXY_LISTEN'),
    proxySslListen: ssl === 'off' ? null : parseListen(ssl, 'TOLLGATE_PROXY_SSL_LISTEN'),
    statusListen: parseListen(env.TOLLGATE_STATUS_LISTEN ?? '127.0.0.1:8100', 'TOLLGATE_STATUS_LISTEN'),
    cpUrl: env.TOLLGATE_CP_URL ?? 'ws://127.0.0.1:8005',
    clusterToken: env.TOLLGATE_CLUSTER_TOKEN || undefined,
    dataDir: env.TOLLGATE_DATA_DIR || './data',
    // Empty: the id stored in the data dir (created once), so a restarted DP is the same node.
    nodeId: env.TOLLGATE_NODE_ID || '',
    analytics: !['off', 'false', '0'].includes((env.TOLLGATE_ANALYTICS ?? '').toLowerCase()),
    workers: workersFromEnv(env.TOLLGATE_DP_WORKERS),
    dns: dnsOptionsFromEnv(env),
    allowedHosts: parseHostList(env.TOLLGATE_PROXY_ALLOWED_HOSTS),
    managementHosts: parseHostList(env.TOLLGATE_ALLOWED_HOSTS),
    accessLog: env.TOLLGATE_PROXY_ACCESS_LOG ?? '/dev/stdout',
    errorLog: env.TOLLGATE_PROXY_ERROR_LOG ?? '/dev/stderr',
    plugins:
      env.TOLLGATE_PLUGINS && env.TOLLGATE_PLUGINS !== 'bundled'
        ? env.TOLLGATE_PLUGINS.split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : undefined,
  };
}
