/**
 * The data plane's error catalogue: Kong's proxy error body (`{"message","request_id"}`,
 * kong.response.error), its default message per status, and the gateway's own messages. Plugins
 * answer with `ctx.error()` (runtime/request-context.ts); the request path with `sendError` or
 * `ProxyRequest.fail`: every error body is built here.
 */
import type { ServerResponse } from 'node:http';

/** Kong's default messages per status (kong.response.error). */
const DEFAULT_MESSAGES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Request size limit exceeded',
  429: 'Too many requests',
  500: 'An unexpected error occurred',
  502: 'An invalid response was received from the upstream server',
  503: 'The upstream server is currently unavailable',
  504: 'The upstream server is timing out',
};

/** Messages of the request path itself (Kong's where Kong has one). */
export const GATEWAY_ERRORS = {
  noRoute: 'no Route matched with those values',
  noService: 'no Service found with those values',
  noConfig: 'no configuration available',
  badHost: 'Bad request: invalid or missing Host header',
  tooLarge: 'Request size limit exceeded',
  unauthenticatedBody: 'Bad request: an unauthenticated preflight carries no body',
} as const;

export const messageFor = (status: number) => DEFAULT_MESSAGES[status] ?? DEFAULT_MESSAGES[500];

/** Kong's error body. */
export function kongErrorBody(requestId: string, message: string): { message: string; request_id: string } {
  return { message, request_id: requestId };
}

/** A gateway-generated error straight to the client (before any plugin ran). */
export function sendError(
  res: ServerResponse,
  status: number,
  requestId: string,
  message = messageFor(status),
  headers: Record<string, string> = {},
): number {
  if (res.headersSent) {
    res.destroy();
    return 0;
  }
  const body = JSON.stringify(kongErrorBody(requestId, message));
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-tollgate-request-id': requestId,
    ...headers,
  });
  res.end(body);
  return Buffer.byteLength(body);
}
