/**
 * The headers through which the gateway tells an upstream who the caller is (Kong's). On a route
 * with an auth plugin only the gateway sets them: copies the client sent are dropped before any
 * plugin runs, so a token that maps to no consumer never forwards a client's `X-Consumer-*`.
 */
export const IDENTITY_HEADERS = [
  'x-consumer-id',
  'x-consumer-custom-id',
  'x-consumer-username',
  'x-consumer-groups',
  'x-credential-identifier',
  'x-anonymous-consumer',
  'x-authenticated-groups',
];
