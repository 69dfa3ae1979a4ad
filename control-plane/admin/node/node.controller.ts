import { Controller, Get, Inject } from '@nestjs/common';
import { hostname } from 'node:os';
import { PLUGIN_LIST } from '../../../shared/plugins/registry';
import { formatListen } from '../../../shared/listen';
import { TOLLGATE_VERSION } from '../../../shared/version';
import { CP_OPTIONS, type ControlPlaneOptions } from '../../options';
import { EntityStore } from '../common/entity-store.service';
import { NODE_ID } from '../../node-id';
import { RequestCounter } from '../common/request-counter';

@Controller()
export class NodeController {
  constructor(
    private readonly store: EntityStore,
    private readonly counter: RequestCounter,
    @Inject(CP_OPTIONS) private readonly options: ControlPlaneOptions,
    @Inject(NODE_ID) private readonly nodeId: string,
  ) {}

  /** Node information, as Kong's `GET /` (no secrets). */
  @Get()
  async info() {
    const enabled = await this.store.query('SELECT DISTINCT name FROM plugins ORDER BY name');
    return {
      tagline: 'Welcome to tollgate',
      version: TOLLGATE_VERSION,
      node_id: this.nodeId,
      hostname: hostname(),
      role: 'control_plane',
      plugins: {
        available_on_server: Object.fromEntries(
          PLUGIN_LIST.map((p) => [p.name, { version: p.version, priority: p.priority }]),
        ),
        enabled_in_cluster: enabled.map((r: any) => r.name),
      },
      configuration: {
        database: this.options.databaseUrl ? 'postgres' : 'embedded',
        admin_listen: [formatListen(this.options.adminListen)],
        cluster_listen: [formatListen(this.options.clusterListen)],
        admin_auth: this.options.adminToken ? 'token' : 'off',
      },
    };
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
