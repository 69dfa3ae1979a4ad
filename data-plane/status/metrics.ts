import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

/** Prometheus metrics of one data plane (served on the status listener at /metrics). */
export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'tollgate_http_requests_total',
    help: 'Proxied requests by service, route and status code',
    labelNames: ['service', 'route', 'code'],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'tollgate_request_latency_ms',
    help: 'Total request latency as seen by the gateway, in milliseconds',
    labelNames: ['service', 'route'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly upstream = new Histogram({
    name: 'tollgate_upstream_latency_ms',
    help: 'Time to the upstream response headers, in milliseconds',
    labelNames: ['service', 'route'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly configVersion = new Gauge({
    name: 'tollgate_config_version',
    help: 'Config version this data plane serves (0: none)',
    registers: [this.registry],
  });
  readonly cpConnected = new Gauge({
    name: 'tollgate_control_plane_connected',
    help: '1 when the cluster link to the control plane is up',
    registers: [this.registry],
  });
  readonly applyFailures = new Counter({
    name: 'tollgate_config_apply_failures_total',
    help: 'Snapshots that could not be applied',
    registers: [this.registry],
  });

  request(
    service: Record<string, any> | null,
    route: Record<string, any> | null,
    code: number,
    totalMs: number,
    upstreamMs?: number,
  ) {
    const s = service?.name ?? service?.id ?? '';
    const r = route?.name ?? route?.id ?? '';
    this.requests.inc({ service: s, route: r, code: String(code) });
    this.latency.observe({ service: s, route: r }, totalMs);
    if (upstreamMs !== undefined) this.upstream.observe({ service: s, route: r }, upstreamMs);
  }
}
