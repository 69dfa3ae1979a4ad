/**
 * Rollups ("cuboids"): pre-aggregated counts, sums and latency histograms per time bucket and
 * dimension set. The full minute cuboid answers any query exactly; narrow hourly cuboids answer
 * the common ones (per service, per tool, per consumer, per route, per node) over long ranges
 * in a few thousand rows. A dimension a cuboid does not keep holds '*'; '' means "none".
 */
import type { AnalyticsRecord } from '../../shared/analytics/record';
import { isError } from '../../shared/analytics/record';
import { addToHistogram } from '../../shared/analytics/histogram';

export const ROLLUP_DIMENSIONS = [
  'node_id',
  'service',
  'route',
  'consumer',
  'tool',
  'mcp_method',
  'status_class',
] as const;
export type RollupDimension = (typeof ROLLUP_DIMENSIONS)[number];

export interface Cuboid {
  name: string;
  bucketMs: number;
  dims: readonly RollupDimension[];
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** Narrowest first: a query uses the first one that keeps every dimension it needs. */
export const CUBOIDS: Cuboid[] = [
  { name: 'h:service', bucketMs: HOUR, dims: ['service', 'status_class'] },
  { name: 'h:service,tool', bucketMs: HOUR, dims: ['service', 'tool', 'mcp_method', 'status_class'] },
  { name: 'h:service,consumer', bucketMs: HOUR, dims: ['service', 'consumer', 'status_class'] },
  { name: 'h:service,route', bucketMs: HOUR, dims: ['service', 'route', 'status_class'] },
  { name: 'h:node,service', bucketMs: HOUR, dims: ['node_id', 'service', 'status_class'] },
  { name: 'm:all', bucketMs: MINUTE, dims: ROLLUP_DIMENSIONS },
];

export interface RollupRow {
  cuboid: string;
  bucket: number;
  node_id: string;
  service: string;
  route: string;
  consumer: string;
  tool: string;
  mcp_method: string;
  status_class: string;
  requests: number;
  errors: number;
  latency_total_sum: number;
  latency_upstream_sum: number;
  upstream_count: number;
  latency_gateway_sum: number;
  request_size_sum: number;
  response_size_sum: number;
  hist_total: number[];
  hist_upstream: number[];
  hist_gateway: number[];
}

/** The value a record has for each rollup dimension ('' when it has none). */
export function dimensionValues(r: AnalyticsRecord): Record<RollupDimension, string> {
  return {
    node_id: r.node_id,
    service: r.service_name ?? r.service_id ?? '',
    route: r.route_name ?? r.route_id ?? '',
    consumer: r.consumer_username ?? r.consumer_id ?? '',
    tool: r.tool ?? '',
    mcp_method: r.mcp_method ?? '',
    status_class: `${Math.floor(r.status / 100)}XX`,
  };
}

/** Aggregate records into rollup rows for every cuboid, sorted by key (a stable lock order). */
export function rollup(records: AnalyticsRecord[]): RollupRow[] {
  const rows = new Map<string, RollupRow>();
  for (const r of records) {
    const values = dimensionValues(r);
    for (const c of CUBOIDS) {
      const bucket = Math.floor(r.ts / c.bucketMs) * c.bucketMs;
      const dims = {} as Record<RollupDimension, string>;
      for (const d of ROLLUP_DIMENSIONS) dims[d] = c.dims.includes(d) ? values[d] : '*';
      const key = `${c.name}\u0000${bucket}\u0000${ROLLUP_DIMENSIONS.map((d) => dims[d]).join('\u0000')}`;
      let row = rows.get(key);
      if (!row) {
        row = {
          cuboid: c.name,
          bucket,
          ...dims,
          requests: 0,
          errors: 0,
          latency_total_sum: 0,
          latency_upstream_sum: 0,
          upstream_count: 0,
          latency_gateway_sum: 0,
          request_size_sum: 0,
          response_size_sum: 0,
          hist_total: [],
          hist_upstream: [],
          hist_gateway: [],
        };
        rows.set(key, row);
      }
      row.requests++;
      if (isError(r)) row.errors++;
      row.latency_total_sum += r.latency_total_ms;
      row.latency_gateway_sum += r.latency_gateway_ms;
      row.request_size_sum += r.request_size;
      row.response_size_sum += r.response_size;
      addToHistogram(row.hist_total, r.latency_total_ms);
      addToHistogram(row.hist_gateway, r.latency_gateway_ms);
      if (r.latency_upstream_ms !== null) {
        row.latency_upstream_sum += r.latency_upstream_ms;
        row.upstream_count++;
        addToHistogram(row.hist_upstream, r.latency_upstream_ms);
      }
    }
  }
  return [...rows.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
}

/** The narrowest cuboid keeping `dims` at a bucket no coarser than `maxBucketMs`. */
export function chooseCuboid(dims: Set<RollupDimension>, maxBucketMs: number): Cuboid {
  for (const c of CUBOIDS)
    if (c.bucketMs <= maxBucketMs && [...dims].every((d) => c.dims.includes(d))) return c;
  return CUBOIDS[CUBOIDS.length - 1];
}
