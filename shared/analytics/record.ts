/**
 * The analytics record: one per request, and one per JSON-RPC message for MCP traffic (a batch
 * or an SSE stream with several messages yields several). Data planes produce them, ship them
 * in batches over the cluster link, and the control plane stores them. Field names follow
 * Konnect's request dataset where one exists.
 *
 * The schema is the one description: the TypeScript type, the control plane's shape check
 * (control-plane/analytics/record-validation.ts) and the stored columns (`sqlType`) come from it.
 * `storeMax` is the longest text kept (longer values are cut, never refused: content is the
 * client's, shape is the data plane's).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Text = (storeMax: number) => Type.String({ storeMax, sqlType: 'text' });
const OptText = (storeMax: number) => Type.Union([Type.String(), Type.Null()], { storeMax, sqlType: 'text' });
const Count = (sqlType: string) => Type.Number({ minimum: 0, sqlType });
const Latency = () => Type.Number({ minimum: 0, sqlType: 'real' });

export const AnalyticsRecordSchema = Type.Object({
  request_id: Text(128),
  /** Request start, ms since the epoch. */
  ts: Type.Number({ minimum: 0, sqlType: 'double precision' }),
  node_id: Text(64),
  service_id: OptText(64),
  service_name: OptText(255),
  route_id: OptText(64),
  route_name: OptText(255),
  consumer_id: OptText(64),
  consumer_username: OptText(255),
  consumer_groups: Type.Array(Type.String(), { storeMax: 255, maxStored: 100, sqlType: 'text[]' }),
  http_method: Text(32),
  path: Text(8192),
  status: Type.Number({ minimum: 0, maximum: 999, sqlType: 'integer' }),
  /** MCP: the JSON-RPC method, tool name (tools/call), error code of the answer, session. */
  mcp_method: OptText(255),
  tool: OptText(255),
  /** The upstream chose it: any number (kept as the nearest integer), or null. */
  jsonrpc_error: Type.Union([Type.Number(), Type.Null()], { sqlType: 'integer' }),
  mcp_session_id: OptText(255),
  /**
   * The MCP revision the message was sent in (`2026-07-28`, `2025-11-25`, …): a 2026-07-28 call
   * has no session, and is told apart by this and its client, not lumped under a null session.
   */
  mcp_protocol_version: OptText(32),
  /** The client as it named itself (`clientInfo`: `name/version`), when it did. */
  mcp_client: OptText(255),
  latency_total_ms: Latency(),
  /** Until the upstream's response headers; null when the gateway answered itself. */
  latency_upstream_ms: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], { sqlType: 'real' }),
  latency_gateway_ms: Latency(),
  request_size: Count('bigint'),
  response_size: Count('bigint'),
  source: Type.Union([Type.Literal('upstream'), Type.Literal('gateway')], { sqlType: 'text' }),
  /** ai-mcp-proxy logging: payloads (secrets redacted) and ACL decisions. */
  detail: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], { sqlType: 'jsonb' }),
});

export type AnalyticsRecord = Static<typeof AnalyticsRecordSchema>;

/** The record's fields in order: the stored columns. */
export const RECORD_FIELDS = Object.keys(AnalyticsRecordSchema.properties) as (keyof AnalyticsRecord)[];

/** Per field: its SQL type and storage limits (from the schema's annotations). */
export function fieldSpec(field: keyof AnalyticsRecord): {
  sqlType: string;
  storeMax?: number;
  maxStored?: number;
} {
  const s = AnalyticsRecordSchema.properties[field] as unknown as TSchema & {
    sqlType: string;
    storeMax?: number;
    maxStored?: number;
  };
  return { sqlType: s.sqlType, storeMax: s.storeMax, maxStored: s.maxStored };
}

export const AnalyticsBatchMessageSchema = Type.Object({
  type: Type.Literal('analytics'),
  batch_id: Type.String({ minLength: 1, maxLength: 128 }),
  /** Checked record by record on the CP: one bad record never loses the batch. */
  records: Type.Array(Type.Unknown()),
  /** Plugins' reports by kind (`mcp_tools`: shared/mcp/tool-fingerprint.ts), checked on the CP. */
  reports: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Array(Type.Unknown()))),
  /** Records this DP had to drop since its last batch (bounds exceeded). */
  dropped: Type.Optional(Type.Number()),
});
/** DP → CP: records to store. `batch_id` makes a resend harmless. */
export type AnalyticsBatchMessage = Omit<Static<typeof AnalyticsBatchMessageSchema>, 'records'> & {
  records: AnalyticsRecord[];
};

/** CP → DP: the batch is committed (or was already). */
export const AnalyticsAckMessageSchema = Type.Object({
  type: Type.Literal('analytics_ack'),
  batch_id: Type.String(),
});
export type AnalyticsAckMessage = Static<typeof AnalyticsAckMessageSchema>;

/** A record counts as an error when the HTTP status is ≥ 400 or the JSON-RPC answer is an error. */
export const isError = (r: Pick<AnalyticsRecord, 'status' | 'jsonrpc_error'>): boolean =>
  r.status >= 400 || r.jsonrpc_error !== null;

export const MAX_BATCH_RECORDS = 1000;
/** Largest analytics frame the CP accepts. */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;
