/**
 * A request the gateway makes itself on a route: a converted MCP tool call (ai-mcp-proxy's
 * conversion modes). It goes to the route's service as a client request would — the same phase
 * runner (plugin-phases.ts: access, last look, header and body filters, one error policy), the
 * same upstream call with Kong's retries (upstream-call.ts), the same target rules — and its
 * answer is read whole (within the buffering limit) and decoded into a buffer, for the caller
 * to convert, instead of being written to a socket.
 */
import { errors as undiciErrors, type Dispatcher } from 'undici';
import { RequestContext } from '../runtime/request-context';
import type { HeaderMap, PluginInstance } from '../runtime/plugin-api';
import type { CompiledConfig } from '../runtime/compiled-config';
import type { Entity } from '../runtime/entity';
import type { RouteCall, RouteCallResult, RouteCaller } from '../runtime/route-caller';
import { collect, discard, ResponseTooLarge } from './body-streams';
import {
  filterWholeBody,
  kongAnswer,
  phaseAnswer,
  runAccess,
  runBeforeUpstream,
  runHeaderFilters,
  type GatewayAnswer,
} from './plugin-phases';
import { askForIdentity, decodeResponse, UnsupportedCoding } from './content-coding';
import { endToEnd } from './headers';
import { upstreamTarget, type UpstreamTarget } from './upstream-target';
import type { UpstreamPools } from './upstream-pools';
import { isTimeout } from './upstream-errors';
import { dropUnsafeHeaders } from './request-guard';
import { requestWithRetries } from './upstream-call';

type Log = ((line: string) => void) | undefined;

function fromGateway(answer: GatewayAnswer): RouteCallResult {
  const body = answer.body === undefined ? Buffer.alloc(0) : Buffer.from(answer.body);
  return { status: answer.status, headers: answer.headers, body, source: 'gateway' };
}

const refused = (requestId: string, status: number, message?: string) =>
  fromGateway(kongAnswer(requestId, status, message));

/** The call's own context: the caller's identity, the route's service, the call's request. */
function contextFor(call: RouteCall, route: Entity, service: Entity): RequestContext {
  const { from } = call;
  const rc = new RequestContext(
    from.requestId,
    from.req,
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
  return rc;
}

/**
 * The route's plugins the call asked for, through the phase runner: never its auth plugins
 * (identity was established on the route the client called), those up to and including
 * `after` skipped. A route that authenticates is never called for a caller nobody
 * authenticated — nor for a listener's `anonymous` consumer, which that route never chose.
 */
async function runRoutePlugins(
  compiled: CompiledConfig,
  call: RouteCall,
  rc: RequestContext,
): Promise<PluginInstance[] | RouteCallResult> {
  const executed: PluginInstance[] = [];
  const which = call.plugins;
  if (!which) return executed;
  const chain = compiled.plugins.forRoute(rc.route, rc.service);
  if (chain.hasAuth && (!call.from.authenticated || call.from.anonymous))
    return refused(rc.requestId, 401, 'Unauthorized');
  let from = 0;
  if (which.after !== undefined) {
    const at = chain.slots.findIndex((s) => s.name === which.after);
    from = at < 0 ? chain.slots.length : at + 1;
  }
  await runAccess(compiled, chain.slots, rc, executed, from, (i) => !i.authenticates && !which.skip(i));
  runBeforeUpstream(executed, rc);
  return executed;
}

function poolFor(pools: UpstreamPools, target: UpstreamTarget): Dispatcher {
  return pools.get({
    protocol: target.protocol,
    host: target.host,
    port: target.port,
    connectTimeout: target.connectTimeout,
    tlsVerify: target.tlsVerify,
  });
}

/** The request as it goes: the call's Host, unsafe headers dropped, framed by its buffer. */
function prepareRequest(rc: RequestContext, call: RouteCall): void {
  if (call.hostHeader) rc.headers['host'] = call.hostHeader;
  dropUnsafeHeaders(rc.headers);
  if (rc.body) rc.headers['content-length'] = String(rc.body.length);
  else delete rc.headers['content-length'];
  delete rc.headers['transfer-encoding'];
  askForIdentity(rc.headers);
}

/** The service's answer, decoded and whole, through the response phase of the plugins that ran. */
async function readAnswer(
  rc: RequestContext,
  call: RouteCall,
  up: Dispatcher.ResponseData,
  executed: PluginInstance[],
  log: Log,
): Promise<RouteCallResult> {
  const state = {
    status: up.statusCode,
    headers: endToEnd(up.headers as HeaderMap) as HeaderMap,
    source: 'upstream' as const,
  };
  const name = rc.route.name ?? rc.route.id;
  let body: Buffer;
  try {
    body = await collect(decodeResponse(state.headers, up.body), call.maxResponseBytes);
  } catch (err) {
    discard(up.body);
    if (err instanceof UnsupportedCoding || err instanceof ResponseTooLarge) {
      log?.(`${name}: ${(err as Error).message || 'response too large'}`);
      return refused(rc.requestId, 502);
    }
    const timedOut = isTimeout(err) || call.signal?.aborted;
    return refused(rc.requestId, timedOut ? 504 : 502, 'The upstream response was cut');
  }
  // Response-phase order: static priority (as for client requests).
  const plugins = [...executed].sort((a, b) => b.priority - a.priority);
  runHeaderFilters(plugins, rc, state);
  body = await filterWholeBody(plugins, rc, state, body);
  return { status: state.status, headers: state.headers, body, source: 'upstream' };
}

async function callRoute(
  compiled: CompiledConfig,
  pools: UpstreamPools,
  call: RouteCall,
  log: Log,
): Promise<RouteCallResult> {
  const { from } = call;
  const route: Entity = call.route;
  const configured = route.service ? compiled.services.get(route.service.id) : undefined;
  if (!configured || configured.enabled === false) return refused(from.requestId, 503, 'Service unavailable');
  const service = call.scheme ? { ...configured, protocol: call.scheme } : configured;
  const rc = contextFor(call, route, service);
  try {
    const executed = await runRoutePlugins(compiled, call, rc);
    if (!Array.isArray(executed)) return executed;
    const target = upstreamTarget(rc, service, route);
    if ('refused' in target) return refused(from.requestId, 400, target.refused);
    prepareRequest(rc, call);
    let up: Dispatcher.ResponseData;
    try {
      up = await requestWithRetries(
        poolFor(pools, target),
        {
          method: rc.method as Dispatcher.HttpMethod,
          path: target.path,
          headers: rc.headers,
          body: rc.body ?? undefined,
          signal: call.signal,
          headersTimeout: Math.min(target.headersTimeout, call.timeoutMs),
          bodyTimeout: Math.min(target.bodyTimeout, call.timeoutMs),
        },
        service.retries ?? 5,
        () => !call.signal?.aborted,
      );
    } catch (err) {
      const timedOut = isTimeout(err) || err instanceof undiciErrors.RequestAbortedError;
      return timedOut
        ? refused(from.requestId, 504, 'The upstream server is timing out')
        : refused(from.requestId, 502, 'An invalid response was received from the upstream server');
    }
    return await readAnswer(rc, call, up, executed, log);
  } catch (err) {
    const answer = phaseAnswer(err, from.requestId, log);
    if (answer) return fromGateway(answer);
    throw err;
  }
}

export function createRouteCaller(
  config: () => CompiledConfig,
  pools: UpstreamPools,
  log?: (line: string) => void,
): RouteCaller {
  return { call: (call: RouteCall) => callRoute(config(), pools, call, log) };
}
