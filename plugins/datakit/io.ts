/**
 * Datakit's view of the request and response (the implicit nodes) and how values written to
 * `service_request` / `response` become headers and bodies.
 */
import type { HeaderMap, RequestContextApi } from '../../data-plane/runtime/plugin-api';

/** Client headers with their original casing; repeated headers become arrays. */
export function requestHeaders(ctx: RequestContextApi): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const raw = ctx.req.rawHeaders;
  const seen = new Map<string, string>();
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    const name = seen.get(lower) ?? raw[i];
    seen.set(lower, name);
    const prev = out[name];
    out[name] =
      prev === undefined ? raw[i + 1] : Array.isArray(prev) ? [...prev, raw[i + 1]] : [prev, raw[i + 1]];
  }
  return out;
}

export function queryObject(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of query) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

export function isJsonType(contentType: unknown): boolean {
  const t = String(contentType ?? '').toLowerCase();
  return t.includes('application/json') || /\+json\b/.test(t);
}

/** A body as Datakit sees it: JSON-decoded when the content type says JSON, else text. */
export function decodeBody(body: Buffer | null, contentType: unknown): unknown {
  if (!body || body.length === 0) return null;
  const text = body.toString('utf8');
  if (!isJsonType(contentType)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A body value to send: strings as they are, anything else JSON-encoded. */
export function encodeBody(value: unknown, headers: HeaderMap): Buffer {
  if (value === null || value === undefined) return Buffer.alloc(0);
  if (typeof value === 'string') return Buffer.from(value);
  if (Buffer.isBuffer(value)) return value;
  headers['content-type'] ??= 'application/json';
  return Buffer.from(JSON.stringify(value));
}

/** Header values from a Datakit map: strings, numbers and booleans, or lists of them. */
export function toHeaderMap(value: unknown, what: string): HeaderMap {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new Error(`${what} must be a map of header values`);
  const out: HeaderMap = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    if (Array.isArray(v)) out[k.toLowerCase()] = v.map((x) => headerValue(x, what));
    else out[k.toLowerCase()] = headerValue(v, what);
  }
  return out;
}

function headerValue(v: unknown, what: string): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`${what}: header values must be strings`);
}

export function setHeaders(target: HeaderMap, value: unknown, what: string): void {
  const raw =
    value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  if (value !== null && value !== undefined && !raw)
    throw new Error(`${what} must be a map of header values`);
  for (const [k, v] of Object.entries(raw ?? {})) {
    if (v === null) delete target[k.toLowerCase()];
  }
  Object.assign(target, toHeaderMap(value, what));
}

export function toQuery(value: unknown, what: string): URLSearchParams {
  if (value === null || value === undefined) return new URLSearchParams();
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${what} must be a map`);
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined || v === false) continue;
    for (const x of Array.isArray(v) ? v : [v]) q.append(k, x === true ? '' : String(x));
  }
  return q;
}
