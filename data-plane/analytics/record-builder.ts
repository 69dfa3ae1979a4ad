/**
 * Builds analytics records after a response: one per request, or one per entry a plugin added
 * (`ctx.analytics.entries`: ai-mcp-proxy adds one per JSON-RPC message). Runs in the log
 * phase, off the request's path.
 */
import type { AnalyticsRecord } from '../../shared/analytics/record';
import type { RequestContextApi, ResponseState } from '../runtime/plugin-api';

export interface ExchangeTiming {
  /** Request start, ms since the epoch. */
  startedAt: number;
  totalMs: number;
  upstreamMs: number | null;
  gatewayMs: number;
  requestBytes: number;
  responseBytes: number;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export function buildRecords(
  nodeId: string,
  rc: RequestContextApi,
  res: ResponseState,
  t: ExchangeTiming,
): AnalyticsRecord[] {
  const base: AnalyticsRecord = {
    request_id: rc.requestId,
    ts: t.startedAt,
    node_id: nodeId,
    service_id: rc.service.id,
    service_name: rc.service.name ?? null,
    route_id: rc.route.id,
    route_name: rc.route.name ?? null,
    consumer_id: rc.consumer?.id ?? null,
    consumer_username: rc.consumer?.username ?? null,
    consumer_groups: rc.consumerGroups.map((g) => g.name),
    http_method: rc.req.method ?? 'GET',
    path: (rc.req.url ?? '/').split('?')[0],
    status: res.status,
    mcp_method: null,
    tool: null,
    jsonrpc_error: null,
    mcp_session_id: null,
    mcp_protocol_version: null,
    mcp_client: null,
    latency_total_ms: round(t.totalMs),
    latency_upstream_ms: t.upstreamMs === null ? null : round(t.upstreamMs),
    latency_gateway_ms: round(t.gatewayMs),
    request_size: t.requestBytes,
    response_size: t.responseBytes,
    source: res.source,
    detail: null,
  };
  Object.assign(base, rc.analytics.fields);
  const entries = rc.analytics.entries;
  if (!entries?.length) return [base];
  return entries.map((entry, i) => ({
    ...base,
    ...entry,
    request_id: i === 0 ? rc.requestId : `${rc.requestId}:${i}`,
  }));
}
