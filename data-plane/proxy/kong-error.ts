import type { ServerResponse } from 'node:http';

/** Kong's default messages per status (kong.response.error). */
export const DEFAULT_MESSAGES: Record<number, string> = {
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

/** A gateway-generated error: Kong's JSON body with the request id. */
export function sendError(
  res: ServerResponse,
  status: number,
  requestId: string,
  message = DEFAULT_MESSAGES[status] ?? 'An unexpected error occurred',
  headers: Record<string, string> = {},
) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ message, request_id: requestId });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-tollgate-request-id': requestId,
    ...headers,
  });
  res.end(body);
}
