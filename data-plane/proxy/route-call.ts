/**
 * A request the gateway makes itself on a route: a converted MCP tool call (ai-mcp-proxy's
 * conversion modes). It is an exchange like a client's (exchange.ts) — the same phase runner,
 * target rules, upstream interceptors (Kong's retries, decoding) and response phase — whose
 * response goes to a buffered sink instead of a socket (fastify's `inject()` idea), read whole
 * and decoded for the caller to convert. What differs is only which plugins run: never the
 * route's auth plugins (identity comes from the client's request), those the call skips.
 */
import type { IncomingMessage } from 'node:http';
import type { Dispatcher } from 'undici';
import type { HeaderMap, PluginInstance } from '../runtime/plugin-api';
import { RequestContext } from '../runtime/request-context';
import type { CompiledConfig } from '../runtime/compiled-config';
import type { Route, Service } from '../runtime/entity';
import type { RouteCall, RouteCallResult, RouteCaller, UrlCall } from '../runtime/route-caller';
import { kongAnswer, phaseAnswer, runAccess, runBeforeUpstream } from './plugin-phases';
import { dropUnsafeHeaders } from './request-guard';
import { ProxyRequest } from './proxy-request';
import type { ProxyContext } from './proxy-context';
import { BufferedSink, type BufferedResponse } from './response-sink';
import { collect } from './body-streams';
import type { UpstreamRequestOptions } from './upstream-interceptors';
import { endToEnd } from './headers';
import { setTokenClaims, tokenClaimsOf } from '../pdk/auth';
import { upstreamRequest } from './upstream-request';
import { exchangeWithUpstream } from './exchange';
import { StreamedExit } from '../runtime/plugin-api';
import { sendGatewayStream } from './response-phase';

/**
 * The call as the route's plugins read the client's request (`ctx.req`): its own method, path
 * and headers — an MCP source judges the listener's message, not the client's — on the
 * client's connection (address, TLS), which it inherits.
 */
function callRequest(call: RouteCall): IncomingMessage {
  const rawHeaders: string[] = [];
  for (const [k, v] of Object.entries(call.headers))
    for (const one of Array.isArray(v) ? v : [v]) rawHeaders.push(k, String(one));
  const query = call.query.toString();
  const headers = { ...call.headers };
  const distinct = Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k, (Array.isArray(v) ? v : [v]).map(String)]),
  );
  // Every view of the headers is the call's (node caches headersDistinct on the client's).
  return Object.create(call.from.req, {
    method: { value: call.method, enumerable: true },
    url: { value: query ? `${call.path}?${query}` : call.path, enumerable: true },
    headers: { value: headers, enumerable: true },
    headersDistinct: { value: distinct, enumerable: true },
    rawHeaders: { value: rawHeaders, enumerable: true },
  }) as IncomingMessage;
}

/** The call's own context: the caller's identity, the route's service, the call's request. */
function contextFor(call: RouteCall, route: Route, service: Service): RequestContext {
  const { from } = call;
  const rc = new RequestContext(
    from.requestId,
    callRequest(call),
    route,
    service,
    from.clientProtocol,
    { unnamed: [], named: {} },
    { method: call.method, path: call.path, query: call.query.toString(), headers: call.headers },
  );
  rc.body = call.body;
  rc.consumer = from.consumer;
  rc.credential = from.credential;
  rc.consumerGroups = from.consumerGroups;
  rc.authenticated = from.authenticated;
  rc.anonymous = from.anonymous;
  // What the caller's auth plugin established travels with its identity: a route judging token
  // claims (acl_attribute_type: oauth_access_token) judges the caller's, never none.
  const claims = tokenClaimsOf(from);
  if (claims) setTokenClaims(rc, claims);
  return rc;
}

/**
 * The route's plugins the call asked for, through the phase runner: never its auth plugins
 * (identity was established on the route the client called), those up to and including
 * `after` skipped. A route that authenticates is never called for a caller nobody
 * authenticated — nor for a listener's `anonymous` consumer, which that route never chose.
 * False when the gateway answered.
 */
async function runCallAccess(config: CompiledConfig, call: RouteCall, pr: ProxyRequest): Promise<boolean> {
  const which = call.plugins;
  if (!which) return true;
  const { rc } = pr;
  const chain = config.plugins.forRoute(rc.route, rc.service);
  if (chain.hasAuth && (!call.from.authenticated || call.from.anonymous)) {
    pr.fail(401, 'Unauthorized');
    return false;
  }
  let from = 0;
  if (which.after !== undefined) {
    const at = chain.slots.findIndex((s) => s.name === which.after);
    from = at < 0 ? chain.slots.length : at + 1;
  }
  const include = (i: PluginInstance) => !i.authenticates && !which.skip(i);
  try {
    await runAccess(config, chain.slots, rc, pr.executed, from, include);
    runBeforeUpstream(pr.executed, rc);
    return true;
  } catch (err) {
    // The route's own MCP server answering (a listener as a source): its stream, held whole.
    if (err instanceof StreamedExit) {
      await sendGatewayStream(pr, err);
      return false;
    }
    const answer = phaseAnswer(err, pr.requestId, pr.ctx.log);
    if (!answer) throw err;
    pr.answer(answer.status, answer.body, answer.headers);
    return false;
  }
}

/** The request as it goes: the call's Host, unsafe headers dropped, framed by its buffer. */
function prepareRequest(call: RouteCall) {
  return (rc: RequestContext) => {
    if (call.hostHeader) rc.headers['host'] = call.hostHeader;
    dropUnsafeHeaders(rc.headers);
    if (!rc.body) delete rc.headers['content-length'];
    delete rc.headers['transfer-encoding'];
  };
}

async function callRoute(
  ctx: ProxyContext,
  config: CompiledConfig,
  call: RouteCall,
): Promise<RouteCallResult> {
  const route = call.route;
  const configured = route.service ? config.services.get(route.service.id) : undefined;
  if (!configured || configured.enabled === false) {
    const answer = kongAnswer(call.from.requestId, 503, 'Service unavailable');
    return {
      status: 503,
      headers: answer.headers,
      body: Buffer.from(answer.body as string),
      source: 'gateway',
    };
  }
  const service = call.scheme ? { ...configured, protocol: call.scheme } : configured;
  const sink = new BufferedSink(call.maxResponseBytes, call);
  const rc = contextFor(call, route, service);
  const pr = new ProxyRequest(ctx, call.from.req, sink, rc, route, service, performance.now(), true);
  pr.balancers = config.balancers;
  pr.upstreamTls = config.upstreamTls.get(service.id);
  const leave = () => pr.abort.abort();
  call.signal?.addEventListener('abort', leave);
  try {
    if (call.signal?.aborted) leave();
    else if (await runCallAccess(config, call, pr))
      await exchangeWithUpstream(pr, {
        decode: true,
        deadlineMs: call.timeoutMs,
        prepare: prepareRequest(call),
      });
  } finally {
    call.signal?.removeEventListener('abort', leave);
  }
  // Abandoned (its deadline passed, or its client left): answered as a timeout.
  if (!sink.result()) pr.fail(504, 'The upstream server is timing out');
  return { ...sink.result()!, source: pr.answered ? 'gateway' : 'upstream' };
}

const DEFAULT_PORTS = { http: 80, https: 443 };

async function callUrl(ctx: ProxyContext, call: UrlCall): Promise<BufferedResponse> {
  const protocol = call.url.protocol === 'https:' ? 'https' : 'http';
  const pool = ctx.pools.get({
    protocol,
    host: call.url.hostname,
    port: Number(call.url.port || DEFAULT_PORTS[protocol]),
    connectTimeout: Math.min(call.timeoutMs, 10_000),
    tlsVerify: call.tlsVerify,
  });
  const opts: Dispatcher.DispatchOptions & UpstreamRequestOptions = {
    method: call.method as Dispatcher.HttpMethod,
    path: call.url.pathname + call.url.search,
    headers: call.headers,
    body: call.body,
    signal: call.signal,
    headersTimeout: call.timeoutMs,
    bodyTimeout: call.timeoutMs,
    decode: true,
  };
  const up = await upstreamRequest(pool, opts);
  const headers = endToEnd(up.headers as HeaderMap) as HeaderMap;
  return { status: up.statusCode, headers, body: await collect(up.body, call.maxResponseBytes) };
}

export function createRouteCaller(ctx: ProxyContext, config: () => CompiledConfig): RouteCaller {
  return {
    call: (call: RouteCall) => callRoute(ctx, config(), call),
    callUrl: (call: UrlCall) => callUrl(ctx, call),
  };
}
