import { Controller, Get, Inject } from '@nestjs/common';
import { hostname } from 'node:os';
import { PLUGIN_LIST } from '../../../shared/plugins/registry';
import { formatListen } from '../../../shared/listen';
import { KONG_COMPATIBLE_VERSION, TOLLGATE_VERSION } from '../../../shared/version';
import type { ListenAddress } from '../../../shared/listen';
import { CP_OPTIONS, type ControlPlaneOptions } from '../../options';
import { EntityStore } from '../common/entity-store.service';
import { NODE_ID } from '../../node-id';
import { RequestCounter } from '../common/request-counter';
import { RouteTable } from '../common/route-table';

@Controller()
export class NodeController {
  constructor(
    private readonly store: EntityStore,
    private readonly counter: RequestCounter,
    private readonly routes: RouteTable,
    @Inject(CP_OPTIONS) private readonly options: ControlPlaneOptions,
    @Inject(NODE_ID) private readonly nodeId: string,
  ) {}

  /**
   * Node information, as Kong's `GET /` (no secrets). `version` is the Kong Admin API version
   * Tollgate implements (clients such as Kong Manager pick their feature set from it and from
   * `edition`); Tollgate's own version is `tollgate_version`.
   */
  @Get()
  async info() {
    const enabled = await this.store.query('SELECT DISTINCT name FROM plugins ORDER BY name');
    const o = this.options;
    return {
      tagline: 'Welcome to tollgate',
      version: KONG_COMPATIBLE_VERSION,
      edition: 'community',
      tollgate_version: TOLLGATE_VERSION,
      lua_version: `Node.js ${process.version}`,
      node_id: this.nodeId,
      hostname: hostname(),
      timers: { running: 0, pending: 0 },
      pids: { master: process.pid, workers: [process.pid] },
      plugins: {
        available_on_server: Object.fromEntries(
          PLUGIN_LIST.map((p) => [p.name, { version: p.version, priority: p.priority }]),
        ),
        enabled_in_cluster: enabled.map((r: any) => r.name),
      },
      configuration: {
        // `tollgate start` runs a data plane beside the control plane: one node that configures
        // and proxies, which Kong calls traditional (Kong Manager then offers what such a node
        // does, e.g. marking targets healthy); a control plane of its own is Kong's hybrid one.
        role: o.proxyListen ? 'traditional' : 'control_plane',
        // Kong's values: "postgres" or "off"; the embedded database is Postgres too.
        database: 'postgres',
        database_backend: o.databaseUrl ? 'external' : 'embedded',
        ...postgresFields(o.databaseUrl),
        router_flavor: 'traditional_compatible',
        admin_listen: [formatListen(o.adminListen)],
        admin_listeners: [listenerOf(o.adminListen)],
        admin_gui_url: o.adminGuiUrl ?? null,
        admin_gui_listeners: [],
        proxy_listen: o.proxyListen ? [formatListen(o.proxyListen)] : [],
        proxy_listeners: o.proxyListen ? [listenerOf(o.proxyListen)] : [],
        cluster_listen: [formatListen(o.clusterListen)],
        cluster_listeners: [listenerOf(o.clusterListen)],
        admin_auth: o.adminToken ? 'token' : 'off',
        loaded_plugins: Object.fromEntries(PLUGIN_LIST.map((p) => [p.name, true])),
        plugins: ['bundled'],
      },
    };
  }

  @Get('endpoints')
  endpoints() {
    return { data: this.routes.endpoints() };
  }

  @Get('status')
  async status() {
    let reachable = true;
    let version: number | null = null;
    try {
      version = await this.store.versions.current();
    } catch {
      reachable = false;
    }
    let analytics: { dead_letter_batches: number; dead_letter_records: number } | null = null;
    if (reachable) {
      try {
        // Batches that could not be stored were acknowledged and set aside (CP log has why).
        const [row] = await this.store.query(
          'SELECT count(*)::int AS b, coalesce(sum(records), 0)::int AS r FROM analytics_dead_letters',
        );
        analytics = { dead_letter_batches: row.b, dead_letter_records: row.r };
      } catch {
        analytics = null;
      }
    }
    const mem = process.memoryUsage();
    return {
      database: { reachable },
      configuration_version: version,
      analytics,
      memory: { rss: mem.rss, heap_used: mem.heapUsed, heap_total: mem.heapTotal },
      server: this.counter.snapshot(),
    };
  }
}

/** Kong's listener entry (`proxy_listeners` & co.). */
function listenerOf(a: ListenAddress) {
  return {
    ip: a.host,
    port: a.port,
    ssl: false,
    http2: false,
    listener: formatListen(a),
    deferred: false,
    reuseport: false,
    proxy_protocol: false,
    bind: false,
  };
}

/**
 * Kong's `pg_*` configuration fields (Kong Manager's overview shows them), from the database URL;
 * the password masked as Kong masks it. The embedded database (PGlite, in the process) has no
 * host, port or TLS: those are null, its database and user PGlite's own.
 */
function postgresFields(databaseUrl: string | undefined) {
  if (!databaseUrl)
    return {
      pg_host: null,
      pg_port: null,
      pg_database: 'postgres',
      pg_user: 'postgres',
      pg_password: null,
      pg_schema: null,
      pg_ssl: false,
      pg_ssl_verify: false,
      pg_timeout: 5000,
    };
  let url: URL | null = null;
  try {
    url = new URL(databaseUrl);
  } catch {
    url = null;
  }
  const ssl = url?.searchParams.get('sslmode') ?? url?.searchParams.get('ssl') ?? null;
  return {
    pg_host: url?.hostname || null,
    pg_port: url ? Number(url.port || 5432) : null,
    pg_database: url ? decodeURIComponent(url.pathname.replace(/^\//, '')) || null : null,
    pg_user: url?.username ? decodeURIComponent(url.username) : null,
    pg_password: url?.password ? '******' : null,
    pg_schema: null,
    pg_ssl: ssl !== null && ssl !== 'disable' && ssl !== 'false',
    pg_ssl_verify: ssl === 'verify-full' || ssl === 'verify-ca',
    pg_timeout: 5000,
  };
}
