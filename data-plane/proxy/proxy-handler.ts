/**
 * The request path of a data plane, one file per step:
 * request-guard → forwarding-headers → route → access-phase → upstream-target → upstream-call
 * → response-phase → log-phase. Plugins see the request through the PDK (runtime/plugin-api.ts);
 * nothing here knows what a plugin does (MCP lives in data-plane/mcp and its plugin).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { RequestContext } from '../runtime/request-context';
import type { RouteChain } from '../runtime/plugin-chain';
import { joinUpstreamPath } from '../router/path';
import { GATEWAY_ERRORS, sendError } from '../errors';
import { refuseRequest, steerablePath } from './request-guard';
import { rebindingGuard } from './dns-rebinding';
import { askForIdentity } from './content-coding';
import { forwardHeaders, hostOf, splitUrl } from './forwarding-headers';
import { ProxyRequest } from './proxy-request';
import type { ProxyContext } from './proxy-context';
import { runAccessPhase } from './access-phase';
import { upstreamTarget } from './upstream-target';
import { callUpstream } from './upstream-call';
import { sendUpstreamResponse } from './response-phase';
import { upstreamFailure } from './upstream-errors';
import { logAccess } from './proxy-logs';

export type { ProxyContext } from './proxy-context';

const EMPTY_CHAIN: RouteChain = { slots: [], needsRequestBody: false, hasAuth: false };

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

    // ---- route ----
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

    // ---- forwarding headers and the plugin context ----
    const rest =
      route.strip_path && match.matchedPath
        ? match.normalizedPath.slice(match.matchedLength)
        : match.normalizedPath;
    const chain = config.plugins.empty ? EMPTY_CHAIN : config.plugins.forRoute(route, service);
    const forwarding = {
      protocol,
      host,
      port,
      rawPath,
      strippedPrefix:
        match.matchedPath && route.strip_path && !match.matchedPath.startsWith('~')
          ? match.matchedPath
          : null,
      authRoute: chain.hasAuth,
    };
    const clientHeaders = () => forwardHeaders(req, forwarding);
    const upstreamPath = joinUpstreamPath(service.path ?? null, rest, route.path_handling ?? 'v0');
    const rc = new RequestContext(requestId, req, route, service, protocol, match.captures, {
      method: req.method ?? 'GET',
      path: upstreamPath,
      query: rawQuery,
      headers: clientHeaders(),
    });
    rc.authRequired = chain.hasAuth;
    const pr = new ProxyRequest(ctx, req, res, rc, route, service, started);
    const onClose = () => {
      if (!res.writableFinished) pr.abort.abort();
    };
    res.on('close', onClose);

    try {
      // ---- access phase ----
      const proceed = await runAccessPhase(pr, config, chain, {
        headers: clientHeaders,
        path: upstreamPath,
        rawQuery,
      });
      if (!proceed) return;

      // ---- upstream ----
      const target = upstreamTarget(rc, service, route);
      if ('refused' in target) return pr.fail(400, target.refused);
      if (rc.body) {
        rc.headers['content-length'] = String(rc.body.length);
        delete rc.headers['transfer-encoding'];
      }
      const inspecting = pr.executed.some((p) => p.inspectsResponse);
      if (inspecting) askForIdentity(rc.headers);
      // The client left during the access phase: nothing to send upstream.
      if (pr.abort.aborted) return;
      const up = await callUpstream(pr, target);
      if (!up) return;

      // ---- response and log phases ----
      await sendUpstreamResponse(pr, up, inspecting);
    } catch (err) {
      if (pr.abort.aborted) return;
      if (!res.headersSent) {
        const failure = upstreamFailure(err);
        pr.upstreamFailed(failure, null);
        return pr.fail(failure.status, failure.message);
      }
      res.destroy(err as Error);
    } finally {
      res.off('close', onClose);
    }
  };
}
