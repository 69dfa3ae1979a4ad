/**
 * Rollups ("cuboids"): pre-aggregated counts, sums and latency histograms per time bucket and
 * dimension set, per minute and per hour: per service, service × tool, service × consumer,
 * service × route, node × service (each with the status class). They answer the common queries
 * from a few thousand rows; a dimension a cuboid does not keep holds '*'; '' means "none".
 */
import type { AnalyticsRecord } from '../../shared/analytics/record';
import { isError } from '../../shared/analytics/record';
import { bucketOf } from '../../shared/analytics/histogram';

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

const NARROW: { name: string; dims: RollupDimension[] }[] = [
  { name: 'service', dims: ['service', 'status_class'] },
  { name: 'service,tool', dims: ['service', 'tool', 'mcp_method', 'status_class'] },
  { name: 'service,consumer', dims: ['service', 'consumer', 'status_class'] },
  { name: 'service,route', dims: ['service', 'route', 'status_class'] },
  { name: 'node,service', dims: ['node_id', 'service', 'status_class'] },
];

/**
 * Narrowest first, hourly before per-minute: a query uses the first one that keeps every
 * dimension it needs at a step it can use. Queries no cuboid covers read the raw records.
 */
const CUBOIDS: Cuboid[] = [
  ...NARROW.map((c) => ({ name: `h:${c.name}`, bucketMs: HOUR, dims: c.dims })),
  ...NARROW.map((c) => ({ name: `m:${c.name}`, bucketMs: MINUTE, dims: c.dims })),
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

function bump(h: number[], i: number) {
  while (h.length <= i) h.push(0);
  h[i]++;
}

export function emptyRow(cuboid: string, bucket: number, dims: Record<RollupDimension, string>): RollupRow {
  return {
    cuboid,
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
}

export const rowKey = (r: Pick<RollupRow, 'cuboid' | 'bucket' | RollupDimension>) =>
  `${r.cuboid}\u0000${r.bucket}\u0000${ROLLUP_DIMENSIONS.map((d) => r[d]).join('\u0000')}`;

/** Add one row into another (same key). */
export function mergeInto(into: RollupRow, r: RollupRow): void {
  into.requests += Number(r.requests);
  into.errors += Number(r.errors);
  into.latency_total_sum += Number(r.latency_total_sum);
  into.latency_upstream_sum += Number(r.latency_upstream_sum);
  into.upstream_count += Number(r.upstream_count);
  into.latency_gateway_sum += Number(r.latency_gateway_sum);
  into.request_size_sum += Number(r.request_size_sum);
  into.response_size_sum += Number(r.response_size_sum);
  for (const h of ['hist_total', 'hist_upstream', 'hist_gateway'] as const) {
    const target = into[h];
    const source = r[h] ?? [];
    while (target.length < source.length) target.push(0);
    for (let i = 0; i < source.length; i++) target[i] += Number(source[i]) || 0;
  }
}

/** Per cuboid, per dimension (ROLLUP_DIMENSIONS order): does it keep it? Computed once. */
const KEPT = CUBOIDS.map((c) => ROLLUP_DIMENSIONS.map((d) => c.dims.includes(d)));

/**
 * Aggregate records into rollup rows for every cuboid. Records of one minute with the same
 * dimension values add into the same rows of every cuboid (hourly ones included, a minute lies
 * in one hour), so those rows are looked up once per such group, not once per record and cuboid.
 */
export function rollup(records: AnalyticsRecord[]): RollupRow[] {
  const rows = new Map<string, RollupRow>();
  const groups = new Map<string, RollupRow[]>();
  for (const r of records) {
    const values = dimensionValues(r);
    const minute = Math.floor(r.ts / MINUTE);
    let group = `${minute}`;
    for (let di = 0; di < ROLLUP_DIMENSIONS.length; di++) group += `\u0000${values[ROLLUP_DIMENSIONS[di]]}`;
    let targets = groups.get(group);
    if (!targets) {
      targets = CUBOIDS.map((c, ci) =>
        cuboidRow(rows, c, KEPT[ci], Math.floor(r.ts / c.bucketMs) * c.bucketMs, values),
      );
      groups.set(group, targets);
    }
    const error = isError(r);
    const bt = bucketOf(r.latency_total_ms);
    const bg = bucketOf(r.latency_gateway_ms);
    const bu = r.latency_upstream_ms === null ? -1 : bucketOf(r.latency_upstream_ms);
    for (let i = 0; i < targets.length; i++) {
      const row = targets[i];
      row.requests++;
      if (error) row.errors++;
      row.latency_total_sum += r.latency_total_ms;
      row.latency_gateway_sum += r.latency_gateway_ms;
      row.request_size_sum += r.request_size;
      row.response_size_sum += r.response_size;
      bump(row.hist_total, bt);
      bump(row.hist_gateway, bg);
      if (bu >= 0) {
        row.latency_upstream_sum += r.latency_upstream_ms!;
        row.upstream_count++;
        bump(row.hist_upstream, bu);
      }
    }
  }
  return [...rows.values()];
}

/** The row of cuboid `c` for `bucket` and these dimension values (created empty if new). */
function cuboidRow(
  rows: Map<string, RollupRow>,
  c: Cuboid,
  kept: boolean[],
  bucket: number,
  values: Record<RollupDimension, string>,
): RollupRow {
  let key = `${c.name}\u0000${bucket}`;
  for (let di = 0; di < ROLLUP_DIMENSIONS.length; di++)
    key += `\u0000${kept[di] ? values[ROLLUP_DIMENSIONS[di]] : '*'}`;
  let row = rows.get(key);
  if (!row) {
    const dims = {} as Record<RollupDimension, string>;
    for (let di = 0; di < ROLLUP_DIMENSIONS.length; di++)
      dims[ROLLUP_DIMENSIONS[di]] = kept[di] ? values[ROLLUP_DIMENSIONS[di]] : '*';
    row = emptyRow(c.name, bucket, dims);
    rows.set(key, row);
  }
  return row;
}

/** The narrowest cuboid keeping `dims` at a bucket no coarser than `maxBucketMs`, if any. */
export function chooseCuboid(dims: Set<RollupDimension>, maxBucketMs: number): Cuboid | null {
  for (const c of CUBOIDS)
    if (c.bucketMs <= maxBucketMs && [...dims].every((d) => c.dims.includes(d))) return c;
  return null;
}
