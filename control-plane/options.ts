/** Everything the control plane reads from its environment, parsed once at start. */
import { parseListen, type ListenAddress } from '../shared/listen';
import { parseHostList } from '../shared/http/host-names';

export interface ControlPlaneOptions {
  adminListen: ListenAddress;
  clusterListen: ListenAddress;
  /** The console's listener (`TOLLGATE_CONSOLE_LISTEN`, `off`: none). */
  consoleListen?: ListenAddress;
  /** The Admin API as browsers reach it (Kong's `admin_gui_api_url`); default: its listener. */
  adminGuiApiUrl?: string;
  /** Where this node's own data plane proxies (`tollgate start`), shown in `GET /`. */
  proxyListen?: ListenAddress;
  /** Absent: embedded PGlite under `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  adminToken?: string;
  /**
   * Kong's `admin_gui_url`: where the browser UI for this Admin API is served. Its origin is
   * the one origin the Admin API's CORS headers allow (absent: see `admin/admin-cors.ts`).
   */
  adminGuiUrl?: string;
  clusterToken?: string;
  /**
   * Host names the loopback-bound Admin API, console and cluster listeners answer besides
   * loopback names (TOLLGATE_ALLOWED_HOSTS, comma-separated; `*`: any).
   */
  allowedHosts?: string[];
  /** Kong's admin_access_log (TOLLGATE_ADMIN_ACCESS_LOG): a path or `off`; from the CLI /dev/stdout. */
  adminAccessLog?: string;
  /** What start is doing, for a person watching (the CLI prints it; absent: silent). */
  progress?: (line: string) => void;
  /** Days of analytics kept (raw records and rollups); older days are dropped. */
  analyticsRetentionDays?: number;
}

export const CP_OPTIONS = Symbol('CP_OPTIONS');

export function controlPlaneOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ControlPlaneOptions {
  return {
    adminListen: parseListen(env.TOLLGATE_ADMIN_LISTEN ?? '127.0.0.1:8001', 'TOLLGATE_ADMIN_LISTEN'),
    clusterListen: parseListen(env.TOLLGATE_CLUSTER_LISTEN ?? '127.0.0.1:8005', 'TOLLGATE_CLUSTER_LISTEN'),
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.TOLLGATE_DATA_DIR || './data',
    adminToken: env.TOLLGATE_ADMIN_TOKEN || undefined,
    adminGuiUrl: httpUrls(env.TOLLGATE_ADMIN_GUI_URL, 'TOLLGATE_ADMIN_GUI_URL'),
    adminGuiApiUrl: httpUrl(env.TOLLGATE_ADMIN_GUI_API_URL, 'TOLLGATE_ADMIN_GUI_API_URL'),
    consoleListen:
      env.TOLLGATE_CONSOLE_LISTEN === 'off'
        ? undefined
        : parseListen(env.TOLLGATE_CONSOLE_LISTEN ?? '127.0.0.1:8002', 'TOLLGATE_CONSOLE_LISTEN'),
    clusterToken: env.TOLLGATE_CLUSTER_TOKEN || undefined,
    allowedHosts: parseHostList(env.TOLLGATE_ALLOWED_HOSTS),
    adminAccessLog: env.TOLLGATE_ADMIN_ACCESS_LOG ?? '/dev/stdout',
    analyticsRetentionDays: retentionDays(env.TOLLGATE_ANALYTICS_RETENTION_DAYS),
  };
}

function retentionDays(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 30;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 3650)
    throw new Error(
      `TOLLGATE_ANALYTICS_RETENTION_DAYS must be a whole number of days (1-3650), got '${raw}'`,
    );
  return n;
}

function httpUrl(raw: string | undefined, variable: string): string | undefined {
  if (!raw) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new Error(`${variable} must be an http(s) URL, got '${raw}'`);
  return url.href;
}

/** One http(s) URL or several separated by commas (Kong's admin_gui_url), normalised. */
function httpUrls(raw: string | undefined, variable: string): string | undefined {
  if (!raw) return undefined;
  return raw
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean)
    .map((u) => httpUrl(u, variable)!)
    .join(',');
}
