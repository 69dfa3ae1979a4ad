import type { IncomingHttpHeaders } from 'node:http';
import { setOwn } from '../../shared/unicode';

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
  const conn = headers['connection'];
  const extra = conn
    ? new Set(
        String(conn)
          .split(',')
          .map((t) => t.trim().toLowerCase()),
      )
    : null;
  const out: Record<string, string | string[]> = {};
  for (const k in headers) {
    const v = headers[k];
    if (v === undefined || !Object.hasOwn(headers, k)) continue;
    const name = k.toLowerCase();
    if (HOP_BY_HOP.has(name) || extra?.has(name)) continue;
    setOwn(out, name, v);
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
