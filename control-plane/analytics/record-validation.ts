/**
 * Records arrive from data planes over the authenticated cluster link; they are still parsed
 * strictly: a record of the wrong shape is dropped (and counted), never stored half right. Its
 * content never costs it: text is made storable (NUL and lone surrogates escaped, over-long
 * values cut), so a client choosing a 300-character session id or a NUL in a tool name cannot
 * make the audit trail stall or lose the record.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  AnalyticsRecordSchema,
  fieldSpec,
  RECORD_FIELDS,
  type AnalyticsRecord,
} from '../../shared/analytics/record';
import { LONE_SURROGATES, setOwn } from '../../shared/unicode';

const MAX_DETAIL_CHARS = 64 * 1024;
const MAYBE_UNSTORABLE = /[\0\uD800-\uDFFF]/;

/** Text Postgres stores as given: NUL and lone surrogates escaped, cut to `max` characters. */
export function storableText(v: string, max = 2048): string {
  // Most text has neither NUL nor surrogates: one scan instead of two replaces.
  if (v.length <= max && !MAYBE_UNSTORABLE.test(v)) return v;
  let s = v.replace(/\0/g, '\\u0000').replace(LONE_SURROGATES, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  if (s.length > max) {
    s = s.slice(0, max - 1);
    if (/[\uD800-\uDBFF]$/.test(s)) s = s.slice(0, -1);
    s += '…';
  }
  return s;
}

const MAX_JSON_TEXT = 8192;
const MAX_JSON_KEY = 256;
const MAX_JSON_DEPTH = 32;

/** A JSON value with every key and string storable (jsonb refuses NUL and lone surrogates). */
function storableJson(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return storableText(v, MAX_JSON_TEXT);
  if (v === null || typeof v !== 'object') return typeof v === 'number' && !Number.isFinite(v) ? null : v;
  if (depth > MAX_JSON_DEPTH) return '[TRUNCATED]';
  if (Array.isArray(v)) return v.map((x) => storableJson(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v))
    setOwn(out, storableText(k, MAX_JSON_KEY), storableJson(x, depth + 1));
  return out;
}

/**
 * If storableJson would return `v` unchanged (nearly every detail is: copying it cost the
 * control plane a deep clone per record), an upper bound of its JSON text's length; else -1.
 * The bound counts every character as a 6-character escape, so a bound under the limit proves
 * the text is, without serialising it.
 */
function storableJsonBound(v: unknown, depth = 0): number {
  if (typeof v === 'string') return storableText(v, MAX_JSON_TEXT) === v ? 6 * v.length + 2 : -1;
  // No finite double serialises to more than 25 characters ("-0.0000012345678901234567").
  if (typeof v === 'number') return Number.isFinite(v) ? 32 : -1;
  if (v === null || typeof v !== 'object') return 5;
  if (depth > MAX_JSON_DEPTH) return -1;
  let size = 2;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const n = storableJsonBound(v[i], depth + 1);
      if (n < 0) return -1;
      size += n + 1;
    }
    return size;
  }
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    const n =
      storableText(k, MAX_JSON_KEY) === k
        ? storableJsonBound((v as Record<string, unknown>)[k], depth + 1)
        : -1;
    if (n < 0) return -1;
    size += 6 * k.length + 4 + n;
  }
  return size;
}

const INT32 = 2 ** 31 - 1;
const checkShape = TypeCompiler.Compile(AnalyticsRecordSchema);
const TEXT_FIELDS = RECORD_FIELDS.filter((f) => fieldSpec(f).sqlType === 'text');
const NUMBER_FIELDS = [
  'ts',
  'latency_total_ms',
  'latency_upstream_ms',
  'latency_gateway_ms',
  'request_size',
  'response_size',
] as const;

/** A clean record for `nodeId` (the authenticated node, whatever the record claims), or null. */
export function validateRecord(raw: unknown, nodeId: string): AnalyticsRecord | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const input = raw as Record<string, unknown>;
  // Fields a data plane may leave out: no groups, no MCP data, no detail.
  const r: Record<string, unknown> = {
    consumer_groups: [],
    jsonrpc_error: null,
    detail: null,
    ...input,
    node_id: nodeId,
  };
  for (const f of TEXT_FIELDS) if (r[f] === undefined) r[f] = null;
  // The upstream chose it: a code that is no number is content, not shape.
  if (typeof r.jsonrpc_error !== 'number' || !Number.isFinite(r.jsonrpc_error)) r.jsonrpc_error = null;
  const bag = r;
  if (!checkShape.Check(r)) return null;
  const out: AnalyticsRecord = r;
  for (const f of TEXT_FIELDS) {
    const v = bag[f];
    if (typeof v === 'string') bag[f] = storableText(v, fieldSpec(f).storeMax);
  }
  const groups = fieldSpec('consumer_groups');
  out.consumer_groups = out.consumer_groups
    .slice(0, groups.maxStored)
    .map((g) => storableText(g, groups.storeMax));
  for (const f of NUMBER_FIELDS) {
    const v = bag[f];
    if (typeof v === 'number') bag[f] = Math.min(v, Number.MAX_SAFE_INTEGER);
  }
  // An upstream's error code outside the integer column is kept as the nearest bound.
  if (out.jsonrpc_error !== null)
    out.jsonrpc_error = Math.max(-INT32 - 1, Math.min(INT32, Math.trunc(out.jsonrpc_error)));
  if (out.detail !== null) {
    const bound = storableJsonBound(out.detail);
    let detail = bound < 0 ? (storableJson(out.detail) as Record<string, unknown>) : out.detail;
    // Serialised only when the bound cannot settle it (large or unusual details).
    const size = bound >= 0 && bound <= MAX_DETAIL_CHARS ? 0 : JSON.stringify(detail).length;
    if (size > MAX_DETAIL_CHARS) detail = { truncated: true, size };
    out.detail = detail;
  }
  // Only the record's own fields are stored.
  const clean: Record<string, unknown> = {};
  for (const f of RECORD_FIELDS) clean[f] = bag[f];
  return clean as AnalyticsRecord;
}
