import type { IncomingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1 hop-by-hop headers; never forwarded in either direction. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // Node has answered `100-continue` itself; undici refuses to send the header on.
  'expect',
]);

/** Copy end-to-end headers (also dropping any named in `Connection`). */
export function endToEnd(
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const extra = new Set<string>();
  const conn = headers['connection'];
  if (conn) for (const t of String(conn).split(',')) extra.add(t.trim().toLowerCase());
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const name = k.toLowerCase();
    if (HOP_BY_HOP.has(name) || extra.has(name)) continue;
    out[name] = v as string | string[];
  }
  return out;
}

/** `text/event-stream`, whatever the case, parameters or surrounding space. */
export function isEventStream(contentType: unknown): boolean {
  return String(contentType ?? '')
    .trim()
    .toLowerCase()
    .startsWith('text/event-stream');
}
