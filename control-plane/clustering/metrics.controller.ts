/**
 * The control plane's `/metrics` (Prometheus text) on the Admin API, beside the data planes' own:
 * config version, the data-plane fleet (connected, sync status, versions behind), what plugins
 * register (tools held by pinning), Admin API requests, and the process (CPU, memory, event loop). Read on scrape, so
 * nothing is counted on any request path.
 */
import { Controller, Get, Header } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge } from 'prom-client';
import { ConfigVersions } from '../snapshots/config-versions.service';
import { RequestCounter } from '../admin/common/request-counter';
import { ControlPlaneMetrics } from '../plugins/control-plane-metrics';
import { DataPlaneRegistry } from './data-plane-registry.service';

@Controller()
export class MetricsController {
  constructor(
    versions: ConfigVersions,
    requests: RequestCounter,
    dataPlanes: DataPlaneRegistry,
    private readonly metricsOut: ControlPlaneMetrics,
  ) {
    const registers = [metricsOut.registry];
    collectDefaultMetrics({ register: metricsOut.registry, prefix: 'tollgate_control_plane_' });
    new Counter({
      name: 'tollgate_admin_requests_total',
      help: 'Admin API requests received',
      registers,
      collect() {
        this.reset();
        this.inc(requests.total);
      },
    });
    const current = new Gauge({
      name: 'tollgate_config_version',
      help: 'The newest config version on this control plane',
      registers,
    });
    const planes = new Gauge({
      name: 'tollgate_data_planes',
      help: 'Data planes known to the cluster, by connection and sync status',
      labelNames: ['connected', 'sync_status'],
      registers,
    });
    const behind = new Gauge({
      name: 'tollgate_data_plane_config_versions_behind',
      help: 'How many config versions a connected data plane runs behind the newest',
      labelNames: ['node_id', 'hostname'],
      registers,
    });
    // One read of the state per scrape, shared by the gauges above.
    metricsOut.onScrape(async () => {
      const version = await versions.current();
      current.set(version);
      planes.reset();
      behind.reset();
      for (const dp of await dataPlanes.list()) {
        planes.inc({ connected: String(dp.connected), sync_status: String(dp.sync_status) });
        if (dp.connected)
          behind.set(
            { node_id: String(dp.id), hostname: String(dp.hostname) },
            Math.max(0, version - Number(dp.config_version)),
          );
      }
    });
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async metrics(): Promise<string> {
    return this.metricsOut.text();
  }
}
