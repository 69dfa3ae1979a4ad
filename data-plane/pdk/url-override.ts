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
