/**
 * A request the gateway makes itself on a route: a converted MCP tool call (ai-mcp-proxy's
 * conversion modes). It goes to the route's service as a client request would, with the route's
 * plugins (access, last look, header and body filters) unless asked otherwise; the response is
 * read whole (within the buffering limit) and decoded, for the caller to convert.
 */
import { errors as undiciErrors, type Dispatcher } from 'undici';
import { RequestContext } from '../runtime/request-context';
import {
  ExitSignal,
  type HeaderMap,
  type PluginInstance,
  type RequestContextApi,
} from '../runtime/plugin-api';
import type { CompiledConfig } from '../runtime/compiled-config';
import type { Entity } from '../runtime/entity';
import type { RouteCall, RouteCallResult, RouteCaller } from '../runtime/route-caller';
import { kongErrorBody } from '../errors';
import { collect, discard, ResponseTooLarge } from './body-streams';
import { filterWholeBody } from './whole-body-filters';
import { askForIdentity, decodeResponse, UnsupportedCoding } from './content-coding';
import { endToEnd } from './headers';
import { upstreamTarget } from './upstream-target';
import type { UpstreamPools } from './upstream-pools';
import { isTimeout } from './upstream-errors';
import { dropUnsafeHeaders } from './request-guard';

function gatewayAnswer(requestId: string, status: number, message: string): RouteCallResult {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: Buffer.from(JSON.stringify(kongErrorBody(requestId, message))),
    source: 'gateway',
  };
}

function identityOf(rc: RequestContext, from: RequestContextApi) {
  rc.consumer = from.consumer;
  rc.credential = from.credential;
  rc.consumerGroups = from.consumerGroups;
  rc.authenticated = from.authenticated;
  rc.anonymous = from.anonymous;
}

export function createRouteCaller(
  config: () => CompiledConfig,
  pools: UpstreamPools,
  log?: (line: string) => void,
): RouteCaller {
  return {
    async call(call: RouteCall): Promise<RouteCallResult> {
      const compiled = config();
      const { from } = call;
      const route: Entity = call.route;
      const configured = route.service ? compiled.services.get(route.service.id) : undefined;
      if (!configured || configured.enabled === false)
        return gatewayAnswer(from.requestId, 503, 'Service unavailable');
      const service = call.scheme ? { ...configured, protocol: call.scheme } : configured;
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
      identityOf(rc, from);
      const executed: PluginInstance[] = [];
      if (call.plugins) {
        const chain = compiled.plugins.forRoute(route, service);
        // Identity was established on the route the client called (whose auth plugin dropped
        // any identity headers the client sent): a route that authenticates is never called
        // for a caller nobody authenticated — nor for the listener's `anonymous` consumer, which
        // that route's own plugins never chose.
        if (chain.hasAuth && (!from.authenticated || from.anonymous))
          return gatewayAnswer(from.requestId, 401, 'Unauthorized');
        let before = call.plugins.after !== undefined;
        try {
          for (const slot of chain.slots) {
            if (before) {
              before = slot.name !== call.plugins.after;
              continue;
            }
            const inst = compiled.plugins.resolve(slot, rc);
            if (!inst || inst.authenticates || call.plugins.skip(inst)) continue;
            executed.push(inst);
            if (inst.access) await inst.access(rc);
          }
          for (const inst of executed) inst.beforeUpstream?.(rc);
        } catch (err) {
          if (err instanceof ExitSignal)
            return {
              status: err.status,
              headers: err.headers,
              body: Buffer.from(err.body ?? ''),
              source: 'gateway',
            };
          log?.(`plugin error on ${route.name ?? route.id}: ${(err as Error).stack ?? err}`);
          return gatewayAnswer(from.requestId, 500, 'An unexpected error occurred');
        }
      }
      const target = upstreamTarget(rc, service, route);
      if ('refused' in target) return gatewayAnswer(from.requestId, 400, target.refused);
      if (call.hostHeader) rc.headers['host'] = call.hostHeader;
      dropUnsafeHeaders(rc.headers);
      if (rc.body) rc.headers['content-length'] = String(rc.body.length);
      else delete rc.headers['content-length'];
      delete rc.headers['transfer-encoding'];
      askForIdentity(rc.headers);
      const pool = pools.get({
        protocol: target.protocol,
        host: target.host,
        port: target.port,
        connectTimeout: target.connectTimeout,
        tlsVerify: target.tlsVerify,
      });
      let up: Dispatcher.ResponseData;
      try {
        up = await pool.request({
          method: rc.method as Dispatcher.HttpMethod,
          path: target.path,
          headers: rc.headers,
          body: rc.body ?? undefined,
          signal: call.signal,
          headersTimeout: Math.min(target.headersTimeout, call.timeoutMs),
          bodyTimeout: Math.min(target.bodyTimeout, call.timeoutMs),
        });
      } catch (err) {
        const timedOut = isTimeout(err) || err instanceof undiciErrors.RequestAbortedError;
        return gatewayAnswer(
          from.requestId,
          timedOut ? 504 : 502,
          timedOut
            ? 'The upstream server is timing out'
            : 'An invalid response was received from the upstream server',
        );
      }
      const state = {
        status: up.statusCode,
        headers: endToEnd(up.headers as HeaderMap) as HeaderMap,
        source: 'upstream' as const,
      };
      let body: Buffer;
      try {
        body = await collect(decodeResponse(state.headers, up.body), call.maxResponseBytes);
      } catch (err) {
        discard(up.body);
        if (err instanceof UnsupportedCoding || err instanceof ResponseTooLarge) {
          log?.(`${route.name ?? route.id}: ${(err as Error).message || 'response too large'}`);
          return gatewayAnswer(
            from.requestId,
            502,
            'An invalid response was received from the upstream server',
          );
        }
        const timedOut = isTimeout(err) || call.signal?.aborted;
        return gatewayAnswer(from.requestId, timedOut ? 504 : 502, 'The upstream response was cut');
      }
      const plugins = [...executed].sort((a, b) => b.priority - a.priority);
      try {
        for (const p of plugins) p.headerFilter?.(rc, state);
        body = await filterWholeBody(plugins, rc, state, body);
      } catch (err) {
        log?.(`plugin error in the response of ${route.name ?? route.id}: ${(err as Error).message}`);
        return gatewayAnswer(from.requestId, 500, 'An unexpected error occurred');
      }
      return { status: state.status, headers: state.headers, body, source: 'upstream' };
    },
  };
}
