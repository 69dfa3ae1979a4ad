/** Step 1 of the request path: the Host the client asked for and the headers sent upstream. */
import type { IncomingMessage } from 'node:http';
import type { HeaderMap } from '../runtime/plugin-api';
import { IDENTITY_HEADERS } from '../runtime/identity-headers';
import { endToEnd } from './headers';
import { dropUnsafeHeaders } from './request-guard';

/** The Host header as name and port; null when one is sent that is not a host (refused). */
export function hostOf(req: IncomingMessage, localPort: number): { host: string; port: number } | null {
  const raw = (req.headers.host ?? '').toLowerCase();
  if (raw === '') return { host: '', port: localPort }; // HTTP/1.0 without Host
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9._~%!$&'()*+,;=-]+)(?::(\d{1,5}))?$/.exec(raw);
  if (!m) return null;
  return { host: m[1], port: m[2] ? Number(m[2]) : localPort };
}

export function splitUrl(url: string): [string, string] {
  const i = url.indexOf('?');
  return i === -1 ? [url, ''] : [url.slice(0, i), url.slice(i + 1)];
}

export interface ForwardingInput {
  protocol: 'http' | 'https';
  host: string;
  port: number;
  rawPath: string;
  /** The route's matched prefix when strip_path removed it (X-Forwarded-Prefix). */
  strippedPrefix: string | null;
  /** The route authenticates: identity headers from the client are dropped. */
  authRoute: boolean;
}

/** The client's end-to-end headers plus the gateway's forwarding headers. */
export function forwardHeaders(req: IncomingMessage, f: ForwardingInput): HeaderMap {
  const headers = endToEnd(req.headers) as HeaderMap;
  dropUnsafeHeaders(headers);
  if (f.authRoute) for (const h of IDENTITY_HEADERS) delete headers[h];
  const clientIp = req.socket.remoteAddress ?? '';
  const xff = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = xff ? `${xff}, ${clientIp}` : clientIp;
  headers['x-forwarded-proto'] = f.protocol;
  headers['x-forwarded-host'] = f.host;
  headers['x-forwarded-port'] = String(f.port);
  headers['x-forwarded-path'] = f.rawPath;
  headers['x-real-ip'] = clientIp;
  if (f.strippedPrefix) headers['x-forwarded-prefix'] = f.strippedPrefix;
  return headers;
}
