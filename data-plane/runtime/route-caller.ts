/**
 * What a plugin may ask of the proxy core: a request the gateway makes itself on a route
 * (data-plane/proxy/route-call.ts implements it). Declared here so plugins and the runtime do
 * not depend on the proxy.
 */
import type { Route } from './entity';
import type { HeaderMap, PluginInstance, RequestContextApi } from './plugin-api';

export interface RouteCall {
  /** The client's request this call is made for: identity, request id, client protocol. */
  from: RequestContextApi;
  /** The route whose service is called (a route entity of the current snapshot). */
  route: Route;
  method: string;
  /** Upstream path, as sent. */
  path: string;
  query: URLSearchParams;
  headers: HeaderMap;
  body: Buffer | null;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Another scheme than the service's (same host and port). */
  scheme?: 'http' | 'https' | null;
  /** The Host header to send instead of the service's. */
  hostHeader?: string | null;
  /**
   * Run the route's plugins (never its auth plugins: identity comes from `from`; a route with
   * one is refused, 401, unless `from` was authenticated), except those `skip` names and, with
   * `after`, those up to and including that plugin in the route's access order; null: the
   * service is called as it is.
   */
  plugins: { after?: string; skip(instance: PluginInstance): boolean } | null;
  /** Largest answer read (bytes); a longer one is a 502. */
  maxResponseBytes?: number;
  /**
   * Each chunk of a streamed answer as it arrives (after the route's response filters), with its
   * status and headers: an event stream's progress read before the answer is whole.
   */
  onBodyChunk?: (chunk: Buffer, head: { status: number; headers: HeaderMap } | null) => void;
  /** The answer's status and headers as soon as they are known, before its body. */
  onHead?: (head: { status: number; headers: HeaderMap }) => void;
  /** The body is only observed (`onBodyChunk`), never kept: a stream that may not end. */
  discardBody?: boolean;
}

export interface RouteCallResult {
  status: number;
  headers: HeaderMap;
  /** Decoded (no content coding), whole. */
  body: Buffer;
  /** The upstream answered, or the gateway did (a plugin's exit, a refusal, a timeout). */
  source: 'upstream' | 'gateway';
}

/** A request to a URL that is no route (datakit's `call` node): no plugins run for it. */
export interface UrlCall {
  url: URL;
  method: string;
  headers: HeaderMap;
  body: Buffer | string | undefined;
  timeoutMs: number;
  tlsVerify: boolean;
  signal?: AbortSignal;
  /** Largest answer read (bytes); a longer one fails the call. */
  maxResponseBytes?: number;
}

export interface RouteCaller {
  call(call: RouteCall): Promise<RouteCallResult>;
  /**
   * Through the same upstream pools and interceptors as every exchange (decoded, deadline),
   * read whole into the same buffered sink; rejects when it fails (no gateway answer).
   */
  callUrl(call: UrlCall): Promise<Omit<RouteCallResult, 'source'>>;
}

const NONE = () => Promise.reject(new Error('this data plane makes no requests of its own'));
export const NO_ROUTE_CALLER: RouteCaller = { call: NONE, callUrl: NONE };
