/**
 * Request headers through which a client could name another URL than the one the gateway routed
 * and judged: frameworks behind proxies (IIS, Symfony, Zend, Envoy, some Spring and Express
 * setups) take the path from them. They never go upstream, on proxied requests and on the
 * gateway's own calls (listeners, converted tools) alike; the gateway sets its own
 * `X-Forwarded-Path`/`-Prefix` after dropping the client's.
 */
export const URL_OVERRIDE_HEADERS: ReadonlySet<string> = new Set([
  'x-original-url',
  'x-original-uri',
  'x-original-path',
  'x-rewrite-url',
  'x-envoy-original-path',
  'x-forwarded-uri',
  'x-forwarded-prefix',
  'x-forwarded-path',
]);

/**
 * Client headers a request the gateway makes itself on the client's behalf (a converted tool
 * call, a listener's call to a source) never carries: framing (the gateway frames its own
 * body), the client's MCP exchange (every `Mcp-*` header, the session, the stream position),
 * proxy hops, and the URL overrides above.
 */
const NOT_FORWARDED_ON_CALLS =
  /^(host|content-type|content-length|transfer-encoding|accept|accept-encoding|connection|keep-alive|upgrade|te|trailer|proxy-.*|forwarded|via|x-forwarded-.*|x-real-ip|last-event-id|mcp-.*)$/;

export function notForwardedOnCalls(name: string): boolean {
  return NOT_FORWARDED_ON_CALLS.test(name) || URL_OVERRIDE_HEADERS.has(name);
}
