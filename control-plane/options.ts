/** Everything the control plane reads from its environment, parsed once at start. */
import { parseListen, type ListenAddress } from '../shared/listen';

export interface ControlPlaneOptions {
  adminListen: ListenAddress;
  clusterListen: ListenAddress;
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
    adminGuiUrl: adminGuiUrl(env.TOLLGATE_ADMIN_GUI_URL),
    clusterToken: env.TOLLGATE_CLUSTER_TOKEN || undefined,
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

function adminGuiUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`TOLLGATE_ADMIN_GUI_URL must be an http(s) URL, got '${raw}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`TOLLGATE_ADMIN_GUI_URL must be an http(s) URL, got '${raw}'`);
  return url.href;
}
