import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const LOOP_RESOLUTION_MS = 10;

export interface EventLoopStats {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}
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
    // Workers of one data plane serve the same version: aggregated, not summed.
    aggregator: 'max',
  });
  readonly cpConnected = new Gauge({
    name: 'tollgate_control_plane_connected',
    help: '1 when the cluster link to the control plane is up',
    registers: [this.registry],
    aggregator: 'max',
  });
  readonly applyFailures = new Counter({
    name: 'tollgate_config_apply_failures_total',
    help: 'Snapshots that could not be applied',
    registers: [this.registry],
    // Every worker of a data plane compiles (and refuses) the same snapshot: counted once.
    aggregator: 'max',
  });

  /**
   * The request path's event loop: how late timers fire (10 ms resolution). A stall here delays
   * every request in flight, so it is reported on `/status` and as a gauge.
   */
  private readonly loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  private readonly loopDelayP99 = new Gauge({
    name: 'tollgate_event_loop_delay_p99_ms',
    help: 'p99 event-loop delay since the last scrape, in milliseconds',
    registers: [this.registry],
    aggregator: 'max',
    collect: () => {
      this.loopDelayP99.set(Math.max(0, this.loopDelay.percentile(99) / 1e6 - LOOP_RESOLUTION_MS));
    },
  });

  constructor() {
    this.loopDelay.enable();
  }

  /** Event-loop delay since the last call (ms), then the histogram starts over. */
  eventLoop(): EventLoopStats {
    const h = this.loopDelay;
    // The histogram holds the time between samples: the delay is what exceeds the interval.
    const late = (ns: number) => Math.max(0, Math.round((ns / 1e6 - LOOP_RESOLUTION_MS) * 1000) / 1000);
    const out = { p50_ms: late(h.percentile(50)), p99_ms: late(h.percentile(99)), max_ms: late(h.max) };
    h.reset();
    return out;
  }

  stop() {
    this.loopDelay.disable();
  }

  /** Label children per (service, route): no label hashing on the request path. */
  private readonly children = new Map<
    string,
    {
      codes: Map<number, { inc(): void }>;
      latency: { observe(v: number): void };
      upstream: { observe(v: number): void };
      service: string;
      route: string;
    }
  >();

  request(
    service: Record<string, any> | null,
    route: Record<string, any> | null,
    code: number,
    totalMs: number,
    upstreamMs?: number,
  ) {
    const s = service?.name ?? service?.id ?? '';
    const r = route?.name ?? route?.id ?? '';
    const key = `${s}\u0000${r}`;
    let c = this.children.get(key);
    if (!c) {
      if (this.children.size > 10_000) this.children.clear();
      c = {
        codes: new Map(),
        latency: this.latency.labels(s, r),
        upstream: this.upstream.labels(s, r),
        service: s,
        route: r,
      };
      this.children.set(key, c);
    }
    let counter = c.codes.get(code);
    if (!counter) c.codes.set(code, (counter = this.requests.labels(s, r, String(code))));
    counter.inc();
    c.latency.observe(totalMs);
    if (upstreamMs !== undefined) c.upstream.observe(upstreamMs);
  }
}
