/**
 * The request path of a data plane, one file per step:
 * request-guard → forwarding-headers → route → access-phase → exchange (upstream-target →
 * upstream-call → response-phase into the client's sink) → log-phase. Plugins see the request through the PDK (runtime/plugin-api.ts);
 * nothing here knows what a plugin does (MCP lives in data-plane/mcp and its plugin).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { RequestContext } from '../runtime/request-context';
import type { RouteChain } from '../runtime/plugin-chain';
import type { CompiledConfig } from '../runtime/compiled-config';
import type { Route, Service } from '../runtime/entity';
import { joinUpstreamPath } from '../router/path';
import { GATEWAY_ERRORS, sendError } from '../errors';
import { refuseRequest, steerablePath } from './request-guard';
import { rebindingGuard } from './dns-rebinding';
import { forwardHeaders, hostOf, splitUrl } from './forwarding-headers';
import { ProxyRequest } from './proxy-request';
import type { ProxyContext } from './proxy-context';
import { runAccessPhase } from './access-phase';
import { exchangeWithUpstream } from './exchange';
import { ClientSink } from './response-sink';
import { logAccess } from './proxy-logs';

export type { ProxyContext } from './proxy-context';

const EMPTY_CHAIN: RouteChain = { slots: [], needsRequestBody: false, hasAuth: false };

/** The request as routed: what the exchange needs to build the plugin context. */
interface Routed {
  config: CompiledConfig;
  match: NonNullable<ReturnType<CompiledConfig['router']['match']>>;
  route: Route;
  service: Service;
  protocol: 'http' | 'https';
  host: string;
  port: number;
  rawPath: string;
  rawQuery: string;
  started: number;
  requestId: string;
}

/** The plugin context and the exchange of a routed client request. */
async function exchange(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  r: Routed,
): Promise<void> {
  const { route, service, match, config } = r;
  const rest =
    route.strip_path && match.matchedPath
      ? match.normalizedPath.slice(match.matchedLength)
      : match.normalizedPath;
  const chain = config.plugins.empty ? EMPTY_CHAIN : config.plugins.forRoute(route, service);
  const forwarding = {
    protocol: r.protocol,
    host: r.host,
    port: r.port,
    rawPath: r.rawPath,
    strippedPrefix:
      match.matchedPath && route.strip_path && !match.matchedPath.startsWith('~') ? match.matchedPath : null,
    authRoute: chain.hasAuth,
  };
  const clientHeaders = () => forwardHeaders(req, forwarding);
  const upstreamPath = joinUpstreamPath(service.path ?? null, rest, route.path_handling ?? 'v0');
  const rc = new RequestContext(r.requestId, req, route, service, r.protocol, match.captures, {
    method: req.method ?? 'GET',
    path: upstreamPath,
    query: r.rawQuery,
    headers: clientHeaders(),
  });
  rc.authRequired = chain.hasAuth;
  const pr = new ProxyRequest(ctx, req, new ClientSink(res), rc, route, service, r.started);
  pr.balancers = config.balancers;
  pr.upstreamTls = config.upstreamTls.get(service.id);
  const onClose = () => {
    if (!res.writableFinished) pr.abort.abort();
  };
  res.on('close', onClose);
  try {
    const client = { headers: clientHeaders, path: upstreamPath, rawQuery: r.rawQuery };
    if (await runAccessPhase(pr, config, chain, client)) await exchangeWithUpstream(pr);
  } finally {
    res.off('close', onClose);
  }
}

export function createProxyHandler(
  ctx: ProxyContext,
  protocol: 'http' | 'https',
  localPort: number,
  listenHost = '0.0.0.0',
) {
  const rebinding = rebindingGuard(listenHost, ctx.allowedHosts ?? []);
  return async function handle(req: IncomingMessage, res: ServerResponse) {
    const started = performance.now();
    const requestId = randomUUID();
    /** An answer before any plugin ran: sent, and logged like any other. */
    const early = (status: number, message?: string) => {
      const bytes = sendError(res, status, requestId, message);
      logAccess(ctx.accessLog, req, status, bytes, requestId, Date.now());
    };
    const config = ctx.holder.current;
    const refused = refuseRequest(req);
    if (refused) return early(refused.status, refused.message);
    const hostPort = hostOf(req, localPort);
    if (!hostPort || (rebinding && hostPort.host === '')) return early(400, GATEWAY_ERRORS.badHost);
    const { host, port } = hostPort;
    const [rawPath, rawQuery] = splitUrl(req.url ?? '/');
    if (!config) return early(503, GATEWAY_ERRORS.noConfig);
    const steering = steerablePath(rawPath);
    if (steering) return early(400, `Bad request: the path has ${steering}`);

    const match = config.router.match({
      method: req.method ?? 'GET',
      host,
      port,
      path: rawPath,
      protocol,
      headers: req.headers,
    });
    if (!match) {
      ctx.metrics.request(null, null, 404, performance.now() - started);
      return early(404, GATEWAY_ERRORS.noRoute);
    }
    const route = match.route;
    if (rebinding && !route.hosts?.length) {
      const why = rebinding.check(host, req.headers.origin);
      if (why) {
        ctx.metrics.request(null, route, 403, performance.now() - started);
        return early(403, `Forbidden: ${why} (DNS rebinding protection)`);
      }
    }
    const service = route.service ? config.services.get(route.service.id) : undefined;
    if (!service || service.enabled === false) {
      ctx.metrics.request(service ?? null, route, 503, performance.now() - started);
      return early(503, GATEWAY_ERRORS.noService);
    }
    const routed = {
      config,
      match,
      route,
      service,
      protocol,
      host,
      port,
      rawPath,
      rawQuery,
      started,
      requestId,
    };
    await exchange(ctx, req, res, routed);
  };
}
