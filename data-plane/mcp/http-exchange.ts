/**
 * Which HTTP requests an MCP endpoint takes (Streamable HTTP): POST with a JSON-RPC body, GET
 * (an SSE stream, no body), DELETE (end of session, no body) and real CORS preflights. Anything
 * else would be a message the gateway did not judge reaching a lenient upstream (one that treats
 * any method with a body as a POST), so it is answered here and never forwarded.
 */
import type { IncomingMessage } from 'node:http';
import { isCorsPreflight } from '../runtime/preflight';

export const MCP_ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS';

export interface HttpRefusal {
  status: number;
  message: string;
  headers?: Record<string, string>;
}

/** A Content-Type's media type, lower case, without parameters. */
export function mediaType(value: unknown): string {
  return String(value ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
}

/** Why this HTTP request cannot be an MCP exchange, or null. `body` is the buffered body. */
export function mcpHttpRefusal(req: IncomingMessage, body: Buffer | null): HttpRefusal | null {
  const method = req.method ?? '';
  const hasBody = (body?.length ?? 0) > 0;
  switch (method) {
    case 'POST': {
      const type = mediaType(req.headers['content-type']);
      if (type !== 'application/json')
        return { status: 415, message: 'Unsupported Media Type: Content-Type must be application/json' };
      return null;
    }
    case 'GET':
    case 'DELETE':
      return hasBody
        ? { status: 400, message: `Bad Request: ${method} on an MCP endpoint carries no body` }
        : null;
    case 'OPTIONS':
      if (!isCorsPreflight(req))
        return {
          status: 405,
          message: 'Method not allowed: OPTIONS only as a CORS preflight',
          headers: { allow: MCP_ALLOWED_METHODS },
        };
      return hasBody ? { status: 400, message: 'Bad Request: a CORS preflight carries no body' } : null;
    default:
      return {
        status: 405,
        message: `Method not allowed: ${method} (an MCP endpoint takes ${MCP_ALLOWED_METHODS})`,
        headers: { allow: MCP_ALLOWED_METHODS },
      };
  }
}
