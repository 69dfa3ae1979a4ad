/**
 * The proxy's access and error logs in Kong's formats (shared/logs/log-file.ts): one access line
 * per request — routed or not, answered by the upstream or the gateway — and an error line per
 * upstream failure, each with the request id the client got (`X-Tollgate-Request-Id`).
 */
import type { IncomingMessage } from 'node:http';
import { accessLine, errorLine, type LogFile } from '../../shared/logs/log-file';

function clientAddress(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '-').replace(/^::ffff:/, '');
}

export function logAccess(
  log: LogFile | null | undefined,
  req: IncomingMessage,
  status: number,
  bytes: number,
  requestId: string,
  timeMs: number,
): void {
  if (!log) return;
  const ua = req.headers['user-agent'];
  const referer = req.headers.referer;
  log.write(
    accessLine({
      remoteAddr: clientAddress(req),
      timeMs,
      method: req.method ?? '-',
      target: req.url ?? '/',
      httpVersion: req.httpVersion,
      status,
      bodyBytesSent: bytes,
      referer: typeof referer === 'string' ? referer : undefined,
      userAgent: typeof ua === 'string' ? ua : undefined,
      requestId,
    }),
  );
}

export function logUpstreamError(
  log: LogFile | null | undefined,
  req: IncomingMessage,
  reason: string,
  upstream: string | null,
  requestId: string,
): void {
  if (!log) return;
  log.write(
    errorLine({
      timeMs: Date.now(),
      level: 'error',
      message: reason,
      client: clientAddress(req),
      request: `${req.method} ${req.url} HTTP/${req.httpVersion}`,
      upstream,
      host: typeof req.headers.host === 'string' ? req.headers.host : undefined,
      requestId,
    }),
  );
}
