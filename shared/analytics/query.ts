/**
 * The analytics query (`POST /analytics/query`), Konnect's shape: metrics, up to two
 * dimensions, filters, granularity and a relative or absolute time range. Shared by the
 * control plane (validation, execution) and the CLI.
 */

/** Dimension → the rollup column holding it; aliases accepted for convenience. */
export const DIMENSION_COLUMNS: Record<string, string> = {
  gateway_service: 'service',
  route: 'route',
  consumer: 'consumer',
  mcp_tool_name: 'tool',
  mcp_method: 'mcp_method',
  status_code_grouped: 'status_class',
  data_plane_node: 'node_id',
  // Tollgate's: the source a virtual MCP server's call went to (no rollup keeps it: raw records).
  mcp_source: 'mcp_source',
};
export const DIMENSION_ALIASES: Record<string, string> = {
  service: 'gateway_service',
  tool: 'mcp_tool_name',
  node: 'data_plane_node',
  status_class: 'status_code_grouped',
};

const LATENCIES = ['response', 'upstream', 'kong'];
const STATS = ['average', 'p50', 'p95', 'p99'];
const METRICS = [
  'request_count',
  'request_per_minute',
  'error_rate',
  ...LATENCIES.flatMap((l) => STATS.map((s) => `${l}_latency_${s}`)),
  'request_size_sum',
  'request_size_average',
  'response_size_sum',
  'response_size_average',
];

const GRANULARITIES: Record<string, number> = {
  minutely: 60_000,
  fiveMinutely: 300_000,
  tenMinutely: 600_000,
  thirtyMinutely: 1_800_000,
  hourly: 3_600_000,
  twoHourly: 7_200_000,
  twelveHourly: 43_200_000,
  daily: 86_400_000,
  weekly: 604_800_000,
};

export interface AnalyticsFilter {
  field: string;
  operator: 'in' | 'not_in' | 'empty' | 'not_empty';
  value?: string[];
}

export interface AnalyticsQuery {
  metrics: string[];
  dimensions: string[];
  filters: AnalyticsFilter[];
  granularity_ms: number | null;
  start: number;
  end: number;
}

export class QueryError extends Error {}

/** `15m`, `1h`, `24h`, `7d`, `30d` … → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*(s|m|h|d|w)$/i.exec(text.trim());
  if (!m) throw new QueryError(`invalid time range '${text}': use e.g. 15m, 1h, 24h, 7d`);
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2].toLowerCase()]!;
  return Number(m[1]) * unit;
}

function timestamp(v: unknown, what: string): number {
  const t = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(t))
    throw new QueryError(`${what} must be an ISO-8601 timestamp or ms since the epoch`);
  return t;
}

/** Validate a request body into a normalized query (now = the evaluation time). */
export function parseQuery(body: unknown, now = Date.now()): AnalyticsQuery {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new QueryError('the query must be a JSON object');
  const b = body as Record<string, any>;
  for (const k of Object.keys(b))
    if (!['datasource', 'metrics', 'dimensions', 'filters', 'granularity', 'time_range'].includes(k))
      throw new QueryError(`unknown field '${k}'`);
  const metrics: string[] = b.metrics ?? ['request_count'];
  if (!Array.isArray(metrics) || !metrics.length) throw new QueryError('metrics must be a non-empty array');
  for (const m of metrics)
    if (!METRICS.includes(m)) throw new QueryError(`unknown metric '${m}' (known: ${METRICS.join(', ')})`);
  const dims: string[] = (b.dimensions ?? []).map((d: unknown) =>
    typeof d === 'string' ? (DIMENSION_ALIASES[d] ?? d) : d,
  );
  if (!Array.isArray(b.dimensions ?? []) || dims.length > 2)
    throw new QueryError('dimensions must be an array of at most 2');
  for (const d of dims)
    if (d !== 'time' && !(d in DIMENSION_COLUMNS))
      throw new QueryError(
        `unknown dimension '${d}' (known: time, ${Object.keys(DIMENSION_COLUMNS).join(', ')})`,
      );
  if (new Set(dims).size !== dims.length) throw new QueryError('dimensions must be distinct');
  const filters: AnalyticsFilter[] = (b.filters ?? []).map((f: any, i: number) => {
    if (!f || typeof f !== 'object') throw new QueryError(`filters[${i}] must be an object`);
    const field = DIMENSION_ALIASES[f.field] ?? f.field;
    if (!(field in DIMENSION_COLUMNS))
      throw new QueryError(`filters[${i}].field: unknown field '${f.field}'`);
    if (!['in', 'not_in', 'empty', 'not_empty'].includes(f.operator))
      throw new QueryError(`filters[${i}].operator must be one of in, not_in, empty, not_empty`);
    if (
      (f.operator === 'in' || f.operator === 'not_in') &&
      (!Array.isArray(f.value) || !f.value.every((v: unknown) => typeof v === 'string'))
    )
      throw new QueryError(`filters[${i}].value must be an array of strings`);
    return { field, operator: f.operator, value: f.value };
  });
  if (!Array.isArray(b.filters ?? [])) throw new QueryError('filters must be an array');

  const range = b.time_range ?? { type: 'relative', time_range: '1h' };
  let start: number;
  let end: number;
  if (range.type === 'relative') {
    end = now;
    start = now - parseDuration(String(range.time_range ?? '1h'));
  } else if (range.type === 'absolute') {
    start = timestamp(range.start, 'time_range.start');
    end = timestamp(range.end, 'time_range.end');
    if (end <= start) throw new QueryError('time_range.end must be after time_range.start');
  } else throw new QueryError("time_range.type must be 'relative' or 'absolute'");

  let granularity: number | null = null;
  if (b.granularity !== undefined) {
    if (!(b.granularity in GRANULARITIES))
      throw new QueryError(
        `unknown granularity '${b.granularity}' (known: ${Object.keys(GRANULARITIES).join(', ')})`,
      );
    granularity = GRANULARITIES[b.granularity];
  }
  if (dims.includes('time') && granularity === null) {
    const span = end - start;
    granularity = span <= 6 * 3_600_000 ? 60_000 : span <= 7 * 86_400_000 ? 3_600_000 : 86_400_000;
  }
  return {
    metrics,
    dimensions: dims,
    filters,
    granularity_ms: dims.includes('time') ? granularity : null,
    start,
    end,
  };
}
