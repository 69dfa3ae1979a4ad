/**
 * What data planes are told: the tools held on enforcing pinned routes, as cluster state of kind
 * `mcp_tools` (sent on hello and whenever the list changes). Recomputed after every config
 * version (an approval, a pinning plugin changed), after reports, and now and then (another
 * control plane on the same Postgres may have ingested a change). Also `/metrics`' gauge.
 */
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { HELD_TOOLS_KIND, type HeldTool } from '../held-tools';
import { ClusterExtensions, ConfigVersions, ControlPlaneMetrics } from '../../../control-plane/plugin-api';
import { PinViews } from './pin-views.service';

const HELD_REFRESH_MS = 5000;

@Injectable()
export class HeldTools implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('McpTools');
  private lastHeld = '';
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly views: PinViews,
    private readonly cluster: ClusterExtensions,
    private readonly versions: ConfigVersions,
    private readonly metrics: ControlPlaneMetrics,
  ) {}

  async onModuleInit() {
    const gauge = new Gauge({
      name: 'tollgate_mcp_tools_held',
      help: 'Tools mcp-tool-pinning holds for approval, cluster-wide',
      registers: [this.metrics.registry],
    });
    this.metrics.onScrape(async () => gauge.set((await this.views.held()).length));
    this.versions.events.on('version', () => this.refresh());
    // The first list is sent even when empty: a data plane learns nothing is held.
    await this.publish(true).catch((err) => this.log.error(`held tools: ${err.message}`));
    this.timer = setInterval(() => this.refresh(), HELD_REFRESH_MS);
    this.timer.unref();
  }

  onModuleDestroy() {
    this.closed = true;
    clearInterval(this.timer);
  }

  /** Recompute in the background (errors logged, but not those of a control plane stopping). */
  refresh(): void {
    if (this.closed) return;
    this.publish().catch((err) => {
      if (!this.closed) this.log.error(`held tools: ${err.message}`);
    });
  }

  /** Recompute the held list; sent to data planes when it differs from the last one. */
  async publish(force = false): Promise<HeldTool[]> {
    const held = await this.views.held();
    const text = JSON.stringify(held.map((h) => [h.route_id, h.name, h.fingerprint]));
    if (force || text !== this.lastHeld) {
      this.lastHeld = text;
      this.cluster.publish(HELD_TOOLS_KIND, { held });
    }
    return held;
  }
}
