/**
 * Answers analytics queries from the rollups (the narrowest cuboid that keeps every needed
 * dimension) and serves the raw request trail. Percentiles come from merged histograms.
 */
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { percentile } from '../../shared/analytics/histogram';
import { DIMENSION_COLUMNS, QueryError, type AnalyticsQuery } from '../../shared/analytics/query';
import { chooseCuboid, type RollupDimension } from './cuboids';

const HOUR = 3_600_000;

export interface QueryAnswer {
  meta: Record<string, unknown>;
  data: { timestamp: string; event: Record<string, unknown> }[];
}

const REQUEST_FILTERS = [
  'service',
  'route',
  'consumer',
  'tool',
  'mcp_method',
  'node',
  'status',
  'since',
  'until',
  'size',
  'offset',
];

@Injectable()
export class AnalyticsQueries {
  constructor(private readonly db: DataSource) {}

  async run(q: AnalyticsQuery): Promise<QueryAnswer> {
    const dims = q.dimensions.filter((d) => d !== 'time');
    const needed = new Set<RollupDimension>(
      [...dims, ...q.filters.map((f) => f.field)].map((d) => DIMENSION_COLUMNS[d] as RollupDimension),
    );
    // Hourly rollups only where an hour of edge does not matter: hourly or coarser steps, or long ranges.
    const span = q.end - q.start;
    const maxBucket = (q.granularity_ms ?? span) >= HOUR && span >= 6 * HOUR ? HOUR : 60_000;
    const cuboid = chooseCuboid(needed, maxBucket);
    if (!cuboid) return this.fromRecords(q, dims);
    const start = Math.floor(q.start / cuboid.bucketMs) * cuboid.bucketMs;

    const { params, where, selects, groups } = shape(
      q,
      dims,
      [cuboid.name, new Date(start).toISOString(), new Date(q.end).toISOString()],
      ['cuboid = $1', 'bucket >= $2', 'bucket <= $3'],
      'bucket',
      (col) => col,
    );
    const wants = (prefix: string) => q.metrics.some((m) => m.startsWith(prefix) && /_p\d\d$/.test(m));
    const hist = (col: string, want: boolean) => (want ? `tollgate_hist_sum(${col})` : `'{}'::integer[]`);
    const sql = `
      SELECT ${[...selects, ''].join(', ')}
        sum(requests)::float8 AS requests, sum(errors)::float8 AS errors,
        sum(latency_total_sum) AS total_sum, sum(latency_upstream_sum) AS upstream_sum,
        sum(upstream_count)::float8 AS upstream_count, sum(latency_gateway_sum) AS gateway_sum,
        sum(request_size_sum)::float8 AS request_size_sum, sum(response_size_sum)::float8 AS response_size_sum,
        ${hist('hist_total', wants('response_latency'))} AS hist_total,
        ${hist('hist_upstream', wants('upstream_latency'))} AS hist_upstream,
        ${hist('hist_gateway', wants('kong_latency'))} AS hist_gateway
      FROM analytics_rollups WHERE ${where.join(' AND ')}
      ${groups.length ? `GROUP BY ${groups.join(', ')} ORDER BY ${groups.join(', ')}` : ''}`;
    const rows: any[] = await this.db.query(sql, params);
    return answer(q, dims, rows, { name: cuboid.name, bucket_ms: cuboid.bucketMs });
  }

  /** Dimension combinations no rollup keeps: aggregated from the raw records of the range. */
  private async fromRecords(q: AnalyticsQuery, dims: string[]): Promise<QueryAnswer> {
    const { params, where, selects, groups } = shape(
      q,
      dims,
      [new Date(q.start).toISOString(), new Date(q.end).toISOString()],
      ['ts >= $1', 'ts <= $2'],
      'ts',
      (col) => RAW_COLUMNS[col],
    );
    const pct = (col: string, p: number) =>
      `percentile_cont(${p / 100}) WITHIN GROUP (ORDER BY ${col}) AS ${col}_p${p}`;
    const percentiles = [50, 95, 99].flatMap((p) =>
      ['latency_total_ms', 'latency_upstream_ms', 'latency_gateway_ms'].map((c) => pct(c, p)),
    );
    const rows: any[] = await this.db.query(
      `SELECT ${[...selects, ''].join(', ')}
         count(*)::float8 AS requests,
         count(*) FILTER (WHERE status >= 400 OR jsonrpc_error IS NOT NULL)::float8 AS errors,
         sum(latency_total_ms) AS total_sum, coalesce(sum(latency_upstream_ms), 0) AS upstream_sum,
         count(latency_upstream_ms)::float8 AS upstream_count, sum(latency_gateway_ms) AS gateway_sum,
         sum(request_size)::float8 AS request_size_sum, sum(response_size)::float8 AS response_size_sum,
         ${percentiles.join(', ')}
       FROM analytics_records WHERE ${where.join(' AND ')}
       ${groups.length ? `GROUP BY ${groups.join(', ')} ORDER BY ${groups.join(', ')}` : ''}`,
      params,
    );
    return answer(q, dims, rows, { name: 'records', bucket_ms: null });
  }

  /** Recent raw records, newest first, filtered; `offset` continues a previous page. */
  async requests(query: Record<string, string | undefined>) {
    // A filter the API does not know would silently widen the answer: it is an error.
    const unknown = Object.keys(query).filter((k) => !REQUEST_FILTERS.includes(k));
    if (unknown.length)
      throw new QueryError(
        `unknown filter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (known: ${REQUEST_FILTERS.join(', ')})`,
      );
    if (Object.values(query).some((v) => Array.isArray(v)))
      throw new QueryError('each filter may be given once');
    const size = query.size === undefined ? 100 : Number(query.size);
    if (!Number.isInteger(size) || size < 1 || size > 1000)
      throw new QueryError('size must be between 1 and 1000');
    const params: unknown[] = [];
    const where: string[] = [];
    const add = (sql: (n: number) => string, value: unknown) => {
      params.push(value);
      where.push(sql(params.length));
    };
    const either = (a: string, b: string) => (n: number) => `(${a} = $${n} OR ${b} = $${n})`;
    if (query.service) add(either('service_name', 'service_id'), query.service);
    if (query.route) add(either('route_name', 'route_id'), query.route);
    if (query.consumer) add(either('consumer_username', 'consumer_id'), query.consumer);
    if (query.tool) add((n) => `tool = $${n}`, query.tool);
    if (query.mcp_method) add((n) => `mcp_method = $${n}`, query.mcp_method);
    if (query.node) add((n) => `node_id = $${n}`, query.node);
    if (query.status) {
      const m = /^([1-5])(XX|\d\d)$/i.exec(query.status);
      if (!m) throw new QueryError('status must be a code (e.g. 403) or a class (e.g. 4XX)');
      if (m[2].toUpperCase() === 'XX') add((n) => `status / 100 = $${n}`, Number(m[1]));
      else add((n) => `status = $${n}`, Number(query.status));
    }
    for (const [key, op] of [
      ['since', '>='],
      ['until', '<'],
    ] as const) {
      if (!query[key]) continue;
      const t = Date.parse(query[key]!);
      if (!Number.isFinite(t)) throw new QueryError(`${key} must be an ISO-8601 timestamp`);
      add((n) => `ts ${op} $${n}`, new Date(t).toISOString());
    }
    if (query.offset) {
      let cursor: { ts: string; id: string };
      try {
        cursor = JSON.parse(Buffer.from(query.offset, 'base64url').toString('utf8'));
      } catch {
        throw new QueryError('invalid offset');
      }
      params.push(cursor.ts, cursor.id);
      where.push(`(ts, request_id) < ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(size + 1);
    const rows: any[] = await this.db.query(
      `SELECT * FROM analytics_records ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY ts DESC, request_id DESC LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, size).map(toApiRecord);
    let offset: string | null = null;
    if (rows.length > size) {
      const last = rows[size - 1];
      offset = Buffer.from(
        JSON.stringify({ ts: new Date(last.ts).toISOString(), id: last.request_id }),
      ).toString('base64url');
    }
    return { data: page, offset };
  }
}

/** WHERE (filters), SELECT and GROUP BY parts shared by the rollup and raw-record queries. */
function shape(
  q: AnalyticsQuery,
  dims: string[],
  params: unknown[],
  where: string[],
  timeColumn: string,
  column: (rollupColumn: string) => string,
) {
  for (const f of q.filters) {
    const col = column(DIMENSION_COLUMNS[f.field]);
    if (f.operator === 'empty') where.push(`${col} = ''`);
    else if (f.operator === 'not_empty') where.push(`${col} <> ''`);
    else {
      params.push(f.value);
      where.push(`${f.operator === 'in' ? '' : 'NOT '}(${col} = ANY($${params.length}::text[]))`);
    }
  }
  const groups: string[] = [];
  const selects: string[] = [];
  if (q.granularity_ms) {
    params.push(q.granularity_ms);
    selects.push(`floor(extract(epoch from ${timeColumn}) * 1000 / $${params.length})::bigint AS t`);
    groups.push('t');
  }
  dims.forEach((d, i) => {
    selects.push(`${column(DIMENSION_COLUMNS[d])} AS d${i}`);
    groups.push(`d${i}`);
  });
  return { params, where, selects, groups };
}

/** Raw-record expressions for the rollup dimensions (names, else ids; '' for none). */
const RAW_COLUMNS: Record<string, string> = {
  node_id: 'node_id',
  service: "coalesce(service_name, service_id, '')",
  route: "coalesce(route_name, route_id, '')",
  consumer: "coalesce(consumer_username, consumer_id, '')",
  tool: "coalesce(tool, '')",
  mcp_method: "coalesce(mcp_method, '')",
  status_class: "(status / 100)::text || 'XX'",
  mcp_source: "coalesce(detail->>'source', '')",
};

function answer(
  q: AnalyticsQuery,
  dims: string[],
  rows: any[],
  source: Record<string, unknown>,
): QueryAnswer {
  const minutes = (q.granularity_ms ?? q.end - q.start) / 60_000;
  const data = rows
    .filter((r) => Number(r.requests) > 0)
    .map((r) => {
      const event: Record<string, unknown> = {};
      dims.forEach((d, i) => (event[d] = r[`d${i}`] === '' ? null : r[`d${i}`]));
      for (const m of q.metrics) event[m] = metric(m, r, minutes);
      const ts = q.granularity_ms ? Number(r.t) * q.granularity_ms : q.start;
      return { timestamp: new Date(ts).toISOString(), event };
    });
  return {
    meta: {
      start: new Date(q.start).toISOString(),
      end: new Date(q.end).toISOString(),
      granularity_ms: q.granularity_ms,
      metric_names: q.metrics,
      dimensions: q.dimensions,
      filters: q.filters,
      source,
    },
    data,
  };
}

function toApiRecord(r: any) {
  const { batch_id: _b, ...rest } = r;
  return {
    ...rest,
    ts: new Date(r.ts).toISOString(),
    request_size: Number(r.request_size),
    response_size: Number(r.response_size),
  };
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

function metric(name: string, r: any, minutes: number): number | null {
  const requests = Number(r.requests);
  const p = /^(response|upstream|kong)_latency_(average|p50|p95|p99)$/.exec(name);
  if (p) {
    const [sum, count, hist] =
      p[1] === 'response'
        ? [r.total_sum, requests, r.hist_total]
        : p[1] === 'upstream'
          ? [r.upstream_sum, Number(r.upstream_count), r.hist_upstream]
          : [r.gateway_sum, requests, r.hist_gateway];
    if (p[2] === 'average') return count ? round(Number(sum) / count) : null;
    const column = {
      response: 'latency_total_ms',
      upstream: 'latency_upstream_ms',
      kong: 'latency_gateway_ms',
    }[p[1]]!;
    const exact = r[`${column}_${p[2]}`];
    if (exact !== undefined) return exact === null ? null : round(Number(exact)); // raw records: exact
    return percentile(hist ?? [], Number(p[2].slice(1)));
  }
  switch (name) {
    case 'request_count':
      return requests;
    case 'request_per_minute':
      return round(requests / Math.max(minutes, 1 / 60));
    case 'error_rate':
      return requests ? round((100 * Number(r.errors)) / requests, 2) : 0;
    case 'request_size_sum':
      return Number(r.request_size_sum);
    case 'request_size_average':
      return requests ? round(Number(r.request_size_sum) / requests) : null;
    case 'response_size_sum':
      return Number(r.response_size_sum);
    case 'response_size_average':
      return requests ? round(Number(r.response_size_sum) / requests) : null;
  }
  return null;
}
