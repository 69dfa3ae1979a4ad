import { errors as undiciErrors } from 'undici';

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
