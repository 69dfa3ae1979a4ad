/**
 * Records arrive from data planes over the authenticated cluster link; they are still parsed
 * strictly: a record of the wrong shape is dropped (and counted), never stored half right. Its
 * content never costs it: text is made storable (NUL and lone surrogates escaped, over-long
 * values cut), so a client choosing a 300-character session id or a NUL in a tool name cannot
 * make the audit trail stall or lose the record.
 */
import type { AnalyticsRecord } from '../../shared/analytics/record';
import { LONE_SURROGATES, setOwn } from '../../shared/unicode';

const MAX_DETAIL_CHARS = 64 * 1024;

/** Text Postgres stores as given: NUL and lone surrogates escaped, cut to `max` characters. */
export function storableText(v: string, max = 2048): string {
  let s = v.replace(/\0/g, '\\u0000').replace(LONE_SURROGATES, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  if (s.length > max) {
    s = s.slice(0, max - 1);
    if (/[\uD800-\uDBFF]$/.test(s)) s = s.slice(0, -1);
    s += '…';
  }
  return s;
}

/** A JSON value with every key and string storable (jsonb refuses NUL and lone surrogates). */
function storableJson(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return storableText(v, 8192);
  if (v === null || typeof v !== 'object') return typeof v === 'number' && !Number.isFinite(v) ? null : v;
  if (depth > 32) return '[TRUNCATED]';
  if (Array.isArray(v)) return v.map((x) => storableJson(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) setOwn(out, storableText(k, 256), storableJson(x, depth + 1));
  return out;
}

const str = (v: unknown, max = 2048): string | null => (typeof v === 'string' ? storableText(v, max) : null);
const optStr = (v: unknown, max = 2048): string | null | undefined =>
  v === null || v === undefined ? null : typeof v === 'string' ? storableText(v, max) : undefined;
/** A non-negative number, capped where a column would overflow (bigint sizes, real latencies). */
const num = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.min(v, Number.MAX_SAFE_INTEGER) : null;
const INT32 = 2 ** 31 - 1;

/** A clean record for `nodeId` (the authenticated node, whatever the record claims), or null. */
export function validateRecord(raw: unknown, nodeId: string): AnalyticsRecord | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  const requestId = str(r.request_id, 128);
  const ts = num(r.ts);
  const status = num(r.status);
  const total = num(r.latency_total_ms);
  const gateway = num(r.latency_gateway_ms);
  const upstream = r.latency_upstream_ms === null ? null : num(r.latency_upstream_ms);
  const reqSize = num(r.request_size);
  const resSize = num(r.response_size);
  const method = str(r.http_method, 32);
  const path = str(r.path, 8192);
  if (
    requestId === null ||
    ts === null ||
    status === null ||
    status > 999 ||
    total === null ||
    gateway === null ||
    (r.latency_upstream_ms !== null && upstream === null) ||
    reqSize === null ||
    resSize === null ||
    method === null ||
    path === null ||
    (r.source !== 'upstream' && r.source !== 'gateway')
  )
    return null;
  const optional = {
    service_id: optStr(r.service_id, 64),
    service_name: optStr(r.service_name, 255),
    route_id: optStr(r.route_id, 64),
    route_name: optStr(r.route_name, 255),
    consumer_id: optStr(r.consumer_id, 64),
    consumer_username: optStr(r.consumer_username, 255),
    mcp_method: optStr(r.mcp_method, 255),
    tool: optStr(r.tool, 255),
    mcp_session_id: optStr(r.mcp_session_id, 255),
  };
  if (Object.values(optional).some((v) => v === undefined)) return null;
  const rawGroups = r.consumer_groups ?? [];
  if (!Array.isArray(rawGroups) || !rawGroups.every((g) => typeof g === 'string')) return null;
  const groups = rawGroups.slice(0, 100).map((g: string) => storableText(g, 255));
  const rpcError = r.jsonrpc_error;
  // The upstream chose it: a code that is no integer is content, not shape (kept truncated).
  const rpcCode = typeof rpcError === 'number' && Number.isFinite(rpcError) ? Math.trunc(rpcError) : null;
  let detail = r.detail ?? null;
  if (detail !== null && (typeof detail !== 'object' || Array.isArray(detail))) return null;
  if (detail !== null) {
    detail = storableJson(detail) as Record<string, unknown>;
    const size = JSON.stringify(detail).length;
    if (size > MAX_DETAIL_CHARS) detail = { truncated: true, size };
  }
  return {
    request_id: requestId,
    ts,
    node_id: nodeId,
    ...(optional as Record<keyof typeof optional, string | null>),
    consumer_groups: groups,
    http_method: method,
    path,
    status,
    // An upstream's error code outside the integer column is kept as the nearest bound.
    jsonrpc_error: rpcCode === null ? null : Math.max(-INT32 - 1, Math.min(INT32, rpcCode)),
    latency_total_ms: total,
    latency_upstream_ms: upstream,
    latency_gateway_ms: gateway,
    request_size: reqSize,
    response_size: resSize,
    source: r.source as 'upstream' | 'gateway',
    detail: detail as Record<string, unknown> | null,
  };
}
