import type { IncomingMessage } from 'node:http';

/**
 * A real CORS preflight: OPTIONS with `Origin` and `Access-Control-Request-Method`. Only these
 * pass auth plugins unauthenticated (Kong's `run_on_preflight: false`); any other OPTIONS is an
 * ordinary request, and a lenient upstream may well run it as a POST.
 */
export function isCorsPreflight(req: IncomingMessage): boolean {
  return (
    req.method === 'OPTIONS' &&
    typeof req.headers.origin === 'string' &&
    typeof req.headers['access-control-request-method'] === 'string'
  );
}
