/**
 * Requests the proxy refuses before any plugin runs, on every route. Each closes a way to make
 * the gateway and a lenient upstream read one request differently:
 * - a request target that is not a path (absolute-form, `*`);
 * - more headers than the gateway reads (Node would drop the rest silently, a server behind it
 *   might not): 431;
 * - method-override headers (the upstream would run another method than the one routed and
 *   judged);
 * - a path that could be steered after routing: an encoded slash or backslash, a dot segment in
 *   any encoding (percent, double percent, overlong UTF-8, full-width), NUL — so a route without
 *   auth can never be walked onto a sibling path of its service that has auth.
 * Header names with `_` are dropped from what goes upstream (nginx's and so Kong's default):
 * servers that fold `_` into `-` would otherwise read `X_Consumer_Username` as the gateway's
 * identity header.
 */
import type { IncomingMessage } from 'node:http';
import type { HeaderMap } from '../runtime/plugin-api';
import { URL_OVERRIDE_HEADERS } from '../pdk/url-override';

/** Kong's `lua_max_req_headers` default. */
export const MAX_REQUEST_HEADERS = 100;

const METHOD_OVERRIDE = ['x-http-method-override', 'x-method-override', 'x-http-method'];

export interface Refusal {
  status: number;
  message: string;
}

export function refuseRequest(req: IncomingMessage): Refusal | null {
  if (!req.url?.startsWith('/'))
    return { status: 400, message: 'Bad request: the request target must be a path' };
  if (req.rawHeaders.length / 2 > MAX_REQUEST_HEADERS)
    return {
      status: 431,
      message: `Request header fields too large (more than ${MAX_REQUEST_HEADERS} headers)`,
    };
  for (const h of METHOD_OVERRIDE)
    if (req.headers[h] !== undefined)
      return { status: 400, message: `Bad request: method override header '${h}' is not accepted` };
  return null;
}

/** Percent-decode to bytes, then UTF-8; null when the bytes are not valid UTF-8. */
function decodeOnce(s: string): string | null {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 0x25 && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch < 0x80) bytes.push(ch);
    else for (const b of Buffer.from(s[i], 'utf8')) bytes.push(b);
  }
  const buf = Buffer.from(bytes);
  const text = buf.toString('utf8');
  return Buffer.from(text, 'utf8').equals(buf) ? text : null;
}

/**
 * Paths of unreserved and sub-delim ASCII with no `%`, `.`, `;`, `\\` or NUL: nothing decodes,
 * NFKC keeps them as they are, and no segment can be a dot segment, so they steer nowhere.
 */
const PLAIN_PATH = /^[A-Za-z0-9/_~!$&'()*+,=:@-]*$/;

/** Why this raw request path could be steered upstream, or null. */
export function steerablePath(rawPath: string): string | null {
  if (PLAIN_PATH.test(rawPath)) return null;
  let decoded = rawPath;
  // Up to three rounds: servers that decode twice see `%252F` as `/`.
  for (let round = 0; round < 3 && decoded.includes('%'); round++) {
    const next = decodeOnce(decoded);
    if (next === null) return 'a percent-encoded sequence that is not UTF-8';
    if (next === decoded) break;
    decoded = next;
  }
  decoded = decoded.normalize('NFKC');
  if (decoded.includes('\0')) return 'NUL';
  if (decoded.includes('\\')) return 'a backslash';
  const rawSlashes = rawPath.split('/').length;
  if (decoded.split('/').length !== rawSlashes) return 'an encoded slash';
  for (const segment of decoded.split('/')) {
    const bare = segment.split(';')[0];
    if (bare === '.' || bare === '..') return 'a dot segment';
  }
  return null;
}

/** Upstream request headers without `_` names (see above) nor URL overrides (pdk/url-override.ts). */
export function dropUnsafeHeaders(headers: HeaderMap): void {
  for (const name of Object.keys(headers))
    if (name.includes('_') || URL_OVERRIDE_HEADERS.has(name)) delete headers[name];
}
