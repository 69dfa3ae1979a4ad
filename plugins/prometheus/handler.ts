/**
 * prometheus: Kong's request metrics on the data plane's `/metrics` (its status listener), under
 * Kong's names and labels so Kong's Grafana dashboard reads them: `kong_http_requests_total`
 * (`status_code_metrics`), `kong_request_latency_ms`, `kong_upstream_latency_ms`,
 * `kong_kong_latency_ms` (`latency_metrics`), `kong_bandwidth_bytes` (`bandwidth_metrics`);
 * `per_consumer` adds the consumer label. The series live once per process, whichever
 * plugin instances count into them.
 */
import { Counter, Histogram } from 'prom-client';
import {
  defineHandler,
  type PluginRuntime,
  type RequestContextApi,
  type RequestFigures,
  type ResponseState,
} from '../../data-plane/runtime/plugin-api';
import { defineSlot } from '../../data-plane/runtime/slots';
import { prometheusPlugin } from './schema';

/** Kong's latency buckets (ms). */
const BUCKETS = [
  1, 2, 5, 7, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 100, 200, 300, 400, 500, 1000, 2000, 5000, 10000, 30000,
  60000,
];

class KongMetrics {
  readonly requests: Counter<string>;
  readonly latency: Histogram<string>;
  readonly upstream: Histogram<string>;
  readonly kong: Histogram<string>;
  readonly bandwidth: Counter<string>;

  constructor(runtime: PluginRuntime) {
    const registers = [runtime.metrics];
    this.requests = new Counter({
      name: 'kong_http_requests_total',
      help: 'HTTP status codes per consumer/service/route in Kong',
      labelNames: ['service', 'route', 'code', 'source', 'workspace', 'consumer'],
      registers,
    });
    const histogram = (name: string, help: string) =>
      new Histogram({
        name,
        help,
        labelNames: ['service', 'route', 'workspace'],
        buckets: BUCKETS,
        registers,
      });
    this.latency = histogram(
      'kong_request_latency_ms',
      'Total latency incurred during requests for each service/route in Kong',
    );
    this.upstream = histogram(
      'kong_upstream_latency_ms',
      'Latency added by upstream response for each service/route in Kong',
    );
    this.kong = histogram(
      'kong_kong_latency_ms',
      'Latency added by Kong and enabled plugins for each service/route in Kong',
    );
    this.bandwidth = new Counter({
      name: 'kong_bandwidth_bytes',
      help: 'Total bandwidth (ingress/egress) throughput in bytes',
      labelNames: ['service', 'route', 'direction', 'workspace', 'consumer'],
      registers,
    });
  }
}

const METRICS = defineSlot<KongMetrics>('prometheus:kong-metrics');

/** Kong's `source`: the service answered, the gateway exited, or it failed. */
function sourceOf(res: ResponseState): string {
  if (res.source === 'upstream') return 'service';
  return res.status >= 500 ? 'error' : 'exit';
}

export default defineHandler(prometheusPlugin, (c, env) => {
  const m = env.runtime.keep(METRICS, () => new KongMetrics(env.runtime));
  return {
    log(ctx: RequestContextApi, res: ResponseState, f: RequestFigures) {
      const service = String(ctx.service?.name ?? ctx.service?.id ?? '');
      const route = String(ctx.route?.name ?? ctx.route?.id ?? '');
      const consumer = c.per_consumer ? String(ctx.consumer?.username ?? ctx.consumer?.id ?? '') : '';
      const base = { service, route, workspace: 'default' };
      // Labels in Kong's order (the exposition keeps the order they are given in).
      if (c.status_code_metrics)
        m.requests.inc({
          service,
          route,
          code: String(res.status),
          source: sourceOf(res),
          workspace: 'default',
          consumer,
        });
      if (c.latency_metrics) {
        m.latency.observe(base, f.totalMs);
        m.kong.observe(base, f.gatewayMs);
        if (f.upstreamMs !== null) m.upstream.observe(base, f.upstreamMs);
      }
      if (c.bandwidth_metrics) {
        const at = (direction: string) => ({ service, route, direction, workspace: 'default', consumer });
        m.bandwidth.inc(at('ingress'), f.requestBytes);
        m.bandwidth.inc(at('egress'), f.responseBytes);
      }
    },
  };
});
