import type { AnalyticsRecord } from '../../shared/analytics/record';

/** A plain, valid analytics record; `fields` override any of it. */
export function sampleRecord(fields: Partial<AnalyticsRecord> = {}): AnalyticsRecord {
  return {
    request_id: 'r',
    ts: Date.now(),
    node_id: 'n',
    service_id: null,
    service_name: 's',
    route_id: null,
    route_name: null,
    consumer_id: null,
    consumer_username: null,
    consumer_groups: [],
    http_method: 'GET',
    path: '/',
    status: 200,
    mcp_method: null,
    tool: null,
    jsonrpc_error: null,
    mcp_session_id: null,
    mcp_protocol_version: null,
    mcp_client: null,
    latency_total_ms: 1,
    latency_upstream_ms: 1,
    latency_gateway_ms: 0,
    request_size: 0,
    response_size: 0,
    source: 'upstream',
    detail: null,
    ...fields,
  };
}
