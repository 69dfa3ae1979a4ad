/**
 * The analytics record: one per request, and one per JSON-RPC message for MCP traffic (a batch
 * or an SSE stream with several messages yields several). Data planes produce them, ship them
 * in batches over the cluster link, and the control plane stores them. Field names follow
 * Konnect's request dataset where one exists.
 */
export interface AnalyticsRecord {
  request_id: string;
  /** Request start, ms since the epoch. */
  ts: number;
  node_id: string;
  service_id: string | null;
  service_name: string | null;
  route_id: string | null;
  route_name: string | null;
  consumer_id: string | null;
  consumer_username: string | null;
  consumer_groups: string[];
  http_method: string;
  path: string;
  status: number;
  /** MCP: the JSON-RPC method, tool name (tools/call), error code of the answer, session. */
  mcp_method: string | null;
  tool: string | null;
  jsonrpc_error: number | null;
  mcp_session_id: string | null;
  latency_total_ms: number;
  /** Until the upstream's response headers; null when the gateway answered itself. */
  latency_upstream_ms: number | null;
  latency_gateway_ms: number;
  request_size: number;
  response_size: number;
  source: 'upstream' | 'gateway';
  /** ai-mcp-proxy logging: payloads (secrets redacted) and ACL decisions. */
  detail: Record<string, unknown> | null;
}

/** DP → CP: records to store. `batch_id` makes a resend harmless. */
export interface AnalyticsBatchMessage {
  type: 'analytics';
  batch_id: string;
  records: AnalyticsRecord[];
  /** Records this DP had to drop since its last batch (bounds exceeded). */
  dropped: number;
}

/** CP → DP: the batch is committed (or was already). */
export interface AnalyticsAckMessage {
  type: 'analytics_ack';
  batch_id: string;
}

/** A record counts as an error when the HTTP status is ≥ 400 or the JSON-RPC answer is an error. */
export const isError = (r: Pick<AnalyticsRecord, 'status' | 'jsonrpc_error'>): boolean =>
  r.status >= 400 || r.jsonrpc_error !== null;

export const MAX_BATCH_RECORDS = 1000;
/** Largest analytics frame the CP accepts. */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;
