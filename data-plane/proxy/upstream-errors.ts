import { errors as undiciErrors } from 'undici';
import { UnsupportedCoding } from './content-coding';
import { ResponseTooLarge } from './body-streams';

export function isTimeout(err: any): boolean {
  return (
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError ||
    ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT'].includes(
      err?.code,
    )
  );
}

const CONNECT_FAILURES = [
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
];
const LATER_FAILURES = ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'];
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/**
 * Safe to try again: the connection never came up (any method), or it broke after the request
 * may have been sent and the method is idempotent (a POST is never sent twice).
 */
export function isRetryable(err: any, method: string): boolean {
  const code = err?.code ?? err?.cause?.code;
  if (CONNECT_FAILURES.includes(code)) return true;
  return LATER_FAILURES.includes(code) && IDEMPOTENT.has(method.toUpperCase());
}

/** How an upstream failure is answered (Kong's status and body) and named in the error log. */
export interface UpstreamFailure {
  status: number;
  /** The body's message: Kong's. */
  message: string;
  /** What happened, as nginx names it in Kong's error log (also the analytics record's detail). */
  reason: string;
}

const NAMED: Record<string, [number, string]> = {
  ECONNREFUSED: [502, 'connect() failed (111: Connection refused) while connecting to upstream'],
  EHOSTUNREACH: [502, 'connect() failed (113: No route to host) while connecting to upstream'],
  ENETUNREACH: [502, 'connect() failed (101: Network is unreachable) while connecting to upstream'],
  ECONNRESET: [
    502,
    'recv() failed (104: Connection reset by peer) while reading response header from upstream',
  ],
  EPIPE: [502, 'writev() failed (32: Broken pipe) while sending request to upstream'],
  UND_ERR_SOCKET: [502, 'upstream prematurely closed connection while reading response header from upstream'],
  ENOTFOUND: [503, 'name resolution failed'],
  EAI_AGAIN: [503, 'name resolution failed (temporary failure)'],
  EAI_FAIL: [503, 'name resolution failed'],
  EAI_NONAME: [503, 'name resolution failed'],
};

const INVALID = 'An invalid response was received from the upstream server';

export function upstreamFailure(err: any): UpstreamFailure {
  // The answer was read and refused: a coding nobody can inspect, or too large to hold.
  if (err instanceof UnsupportedCoding) return { status: 502, message: INVALID, reason: err.message };
  if (err instanceof ResponseTooLarge)
    return { status: 502, message: INVALID, reason: 'upstream response too large to inspect' };
  const code: string | undefined = err?.code ?? err?.cause?.code;
  // Kong's balancer found no healthy target (the message is Kong's).
  if (code === 'TOLLGATE_NO_PEER')
    return { status: 503, message: String(err.message), reason: 'no healthy target in the upstream' };
  if (isTimeout(err))
    return {
      status: 504,
      message: 'The upstream server is timing out',
      reason: `upstream timed out (${code ?? 'timeout'}) while ${
        code === 'UND_ERR_CONNECT_TIMEOUT' ? 'connecting to' : 'reading response from'
      } upstream`,
    };
  const named = code ? NAMED[code] : undefined;
  if (named && named[0] === 503)
    // Kong answers a DNS failure 503 "name resolution failed".
    return { status: 503, message: 'name resolution failed', reason: `${named[1]} (${code})` };
  if (named)
    return {
      status: 502,
      message: 'An invalid response was received from the upstream server',
      reason: named[1],
    };
  if (typeof code === 'string' && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code))
    return {
      status: 502,
      message: 'An invalid response was received from the upstream server',
      reason: `SSL handshake with upstream failed (${code})`,
    };
  return {
    status: 502,
    message: 'An invalid response was received from the upstream server',
    reason: `upstream request failed (${code ?? String(err?.message ?? err).slice(0, 200)})`,
  };
}
