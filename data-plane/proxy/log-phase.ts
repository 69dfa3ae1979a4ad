/** Last step: metrics at once; plugins' log phase and the analytics records after the response. */
import type { IncomingMessage } from 'node:http';
import type { PluginInstance, RequestFigures, ResponseState } from '../runtime/plugin-api';
import type { RequestContext } from '../runtime/request-context';
import type { Route, Service } from '../runtime/entity';
import { buildRecords } from '../analytics/record-builder';
import type { ProxyContext } from './proxy-context';
import { logAccess } from './proxy-logs';
import { runLogHooks } from './plugin-phases';

/** What the log phase reads of a request (proxy-request.ts). */
export interface LoggedRequest {
  readonly ctx: ProxyContext;
  readonly rc: RequestContext;
  readonly req: IncomingMessage;
  readonly route: Route;
  readonly service: Service;
  readonly executed: PluginInstance[];
  readonly loggers: PluginInstance[];
  readonly started: number;
  readonly startedAt: number;
  readonly upstreamStarted: number;
  readonly upstreamMs: number | undefined;
  readonly responseStarted: number;
}

export function runLogPhase(pr: LoggedRequest, state: ResponseState, responseBytes: number): void {
  const { ctx, rc, req } = pr;
  const totalMs = performance.now() - pr.started;
  ctx.metrics.request(pr.service, pr.route, state.status, totalMs, pr.upstreamMs);
  if (!pr.executed.length && !pr.loggers.length && !ctx.analytics && !ctx.accessLog) return;
  setImmediate(() => {
    logAccess(ctx.accessLog, req, state.status, responseBytes, rc.requestId, pr.startedAt);
    const upstreamMs = pr.upstreamMs;
    // Gateway time: before the upstream was asked, plus between its headers and ours.
    const gatewayMs =
      upstreamMs === undefined
        ? totalMs
        : pr.upstreamStarted -
          pr.started +
          Math.max(0, pr.responseStarted - (pr.upstreamStarted + upstreamMs));
    const figures: RequestFigures = {
      totalMs,
      upstreamMs: upstreamMs ?? null,
      gatewayMs,
      requestBytes:
        rc.body?.length ?? Math.min(Number(req.headers['content-length']) || 0, Number.MAX_SAFE_INTEGER),
      responseBytes,
    };
    runLogHooks(
      pr.loggers.length ? [...pr.executed, ...pr.loggers] : pr.executed,
      rc,
      state,
      figures,
      ctx.log,
    );
    if (!ctx.analytics) return;
    try {
      ctx.analytics(buildRecords(ctx.nodeId ?? '', rc, state, { startedAt: pr.startedAt, ...figures }));
    } catch (err) {
      ctx.log?.(`analytics: ${(err as Error).message}`);
    }
  });
}
