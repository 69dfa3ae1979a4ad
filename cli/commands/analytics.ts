/**
 * `tollgate analytics`: a per-service (or per-tool, -consumer, -route, -node) table of request
 * counts, error rates and latency percentiles for a time range, from POST /analytics/query.
 */
import { columns, terminalSafe } from '../terminal-text';
import { checkFlags, has, parseArgs, UnknownFlagError, value } from '../args';
import { AdminClient, AdminError } from '../deck/client';
import {
  DIMENSION_ALIASES,
  DIMENSION_COLUMNS,
  parseDuration,
  QueryError,
} from '../../shared/analytics/query';

const HELP = `Usage: tollgate analytics [--by service|tool|consumer|route|node|mcp_method|status_class]
                          [--last 1h | --since <ISO time> [--until <ISO time>]]
                          [--service <name>] [--json]

Prints request count, error rate and latency percentiles (ms) per group.

Options:
  --by <dimension>       group by (default service)
  --last <duration>      a relative range: 15m, 1h, 7d (default 1h)
  --since/--until <ISO>  an absolute range (until: now)
  --service <name>       only this service
  --json                 the Admin API's answer as JSON
  --admin-url <url>      the Admin API (default TOLLGATE_ADMIN_URL)

Environment:
  TOLLGATE_ADMIN_URL     the Admin API (default http://127.0.0.1:8001)
  TOLLGATE_ADMIN_TOKEN   sent as a bearer token
`;

const METRICS = [
  'request_count',
  'error_rate',
  'response_latency_p50',
  'response_latency_p95',
  'response_latency_p99',
];

export async function runAnalytics(argv: string[]): Promise<number> {
  const a = parseArgs(argv, new Set(['by', 'last', 'since', 'until', 'service', 'admin-url']));
  if (has(a, 'help', 'h')) {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    checkFlags(a, ['by', 'last', 'since', 'until', 'service', 'admin-url', 'json']);
    const by = value(a, 'by') ?? 'service';
    const dimension = DIMENSION_ALIASES[by] ?? by;
    if (!(dimension in DIMENSION_COLUMNS)) throw new QueryError(`--by: unknown dimension '${by}'`);
    const since = value(a, 'since');
    let timeRange: Record<string, unknown>;
    if (since) {
      timeRange = { type: 'absolute', start: since, end: value(a, 'until') ?? new Date().toISOString() };
    } else {
      const last = value(a, 'last') ?? '1h';
      parseDuration(last);
      timeRange = { type: 'relative', time_range: last };
    }
    const service = value(a, 'service');
    const client = new AdminClient(
      value(a, 'admin-url') ?? process.env.TOLLGATE_ADMIN_URL ?? 'http://127.0.0.1:8001',
      process.env.TOLLGATE_ADMIN_TOKEN || undefined,
    );
    const answer = await client.call('POST', '/analytics/query', {
      metrics: METRICS,
      dimensions: [dimension],
      filters: service ? [{ field: 'gateway_service', operator: 'in', value: [service] }] : [],
      time_range: timeRange,
    });
    if (has(a, 'json')) {
      process.stdout.write(JSON.stringify(answer, null, 2) + '\n');
      return 0;
    }
    const rows = (answer.data as { event: Record<string, any> }[])
      .map((d) => d.event)
      .sort((x, y) => y.request_count - x.request_count);
    const fmt = (v: unknown, digits = 1) => (typeof v === 'number' ? v.toFixed(digits) : '-');
    const table = [
      [by.toUpperCase(), 'REQUESTS', 'ERRORS%', 'P50_MS', 'P95_MS', 'P99_MS'],
      ...rows.map((e) => [
        e[dimension] === null ? '(none)' : terminalSafe(String(e[dimension]).replace(/[\n\t]/g, ' ')),
        String(e.request_count),
        fmt(e.error_rate),
        fmt(e.response_latency_p50, 2),
        fmt(e.response_latency_p95, 2),
        fmt(e.response_latency_p99, 2),
      ]),
    ];
    process.stdout.write(columns(table));
    process.stdout.write(`${answer.meta.start} .. ${answer.meta.end}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UnknownFlagError) {
      process.stderr.write(`Error: ${err.message}\n\n${HELP}`);
      return 1;
    }
    if (err instanceof QueryError || err instanceof AdminError) {
      process.stderr.write(`Error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
