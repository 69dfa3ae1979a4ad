/**
 * One exchange on its way through the data plane — a client's request, or one the gateway makes
 * itself on a route — what every step of the lifecycle reads and writes (plugin context,
 * plugins that ran, timings), the gateway's own answers, and where the response goes (a sink).
 */
import type { UpstreamFailure } from './upstream-errors';
import { logUpstreamError } from './proxy-logs';
import type { IncomingMessage } from 'node:http';
import type { ResponseSink } from './response-sink';
import type { HeaderMap, PluginInstance, ResponseState } from '../runtime/plugin-api';
import type { RequestContext } from '../runtime/request-context';
import type { Route, Service } from '../runtime/entity';
import type { ProxyContext } from './proxy-context';
import { kongErrorBody, messageFor } from '../errors';
import { runLogPhase } from './log-phase';
import { kongAnswer, phaseAnswer, runHeaderFilters } from './plugin-phases';
import { ClientAbort } from './client-abort';
import type { BalancerTable } from '../balancer/balancers';
import type { UpstreamTls } from '../runtime/upstream-tls';

export class ProxyRequest {
  /** Plugins whose access phase ran, in access order. */
  readonly executed: PluginInstance[] = [];
  /** Plugins the access phase never reached (an earlier one answered) whose log phase runs. */
  readonly loggers: PluginInstance[] = [];
  readonly startedAt = Date.now();
  upstreamStarted = 0;
  upstreamMs: number | undefined;
  responseStarted = 0;
  readonly abort = new ClientAbort();
  /** The gateway answered (a refusal, an exit, a failure) rather than the upstream. */
  answered = false;
  /** The balancers of the config this request is served by (a service's host may name one). */
  balancers: BalancerTable | null = null;
  /** The service's client certificate and trusted CAs (from the same config). */
  upstreamTls: UpstreamTls | undefined = undefined;

  constructor(
    readonly ctx: ProxyContext,
    /** The client's request (for a gateway-made call: the one it is made for). */
    readonly req: IncomingMessage,
    readonly sink: ResponseSink,
    readonly rc: RequestContext,
    readonly route: Route,
    readonly service: Service,
    /** performance.now() when the request arrived. */
    readonly started: number,
    /**
     * A call the gateway makes itself is part of the client's request: logged, counted and
     * recorded there, not again here.
     */
    readonly gatewayMade = false,
  ) {
    rc.clientLeft = this.abort;
  }

  get requestId(): string {
    return this.rc.requestId;
  }

  /** The upstream call failed: named in the error log and the analytics record's detail. */
  upstreamFailed(failure: UpstreamFailure, upstream: string | null): void {
    this.rc.analytics.fields.detail = { upstream_error: failure.reason, ...(upstream ? { upstream } : {}) };
    logUpstreamError(this.ctx.errorLog, this.req, failure.reason, upstream, this.requestId);
  }

  /** Response-phase order: static priority (Kong: dynamic ordering is access-only). */
  responsePlugins(): PluginInstance[] {
    return [...this.executed].sort((a, b) => b.priority - a.priority);
  }

  /** Headers access-phase plugins set for the response (rate-limiting's), on any response. */
  withPluginHeaders(state: ResponseState): void {
    for (const [k, v] of Object.entries(this.rc.responseHeaders)) state.headers[k] ??= v;
  }

  /** A gateway-generated response: response-phase plugins still see it (CORS headers on a 401). */
  answer(status: number, body: Buffer | string | undefined, extra: HeaderMap, filter = true): void {
    const { sink, rc } = this;
    this.answered = true;
    const state: ResponseState = {
      status,
      headers: { ...extra, 'x-tollgate-request-id': this.requestId },
      source: 'gateway',
    };
    this.withPluginHeaders(state);
    let payload = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body);
    if (filter) {
      try {
        const plugins = this.responsePlugins();
        runHeaderFilters(plugins, rc, state);
        for (const p of plugins)
          if (p.wantsResponseBody?.(rc, state)) payload = p.transformBody!(rc, state, payload);
      } catch (err) {
        // The same policy as on the upstream's answers: never sent half filtered.
        return this.answerPhaseFailure(err);
      }
    }
    state.headers['content-length'] = String(payload.length);
    if (!sink.headersSent) {
      try {
        sink.send(state.status, state.headers, payload);
      } catch (err) {
        // A header Node refuses (bad characters from a plugin config): plain Kong error.
        this.ctx.log?.(`cannot send response headers: ${(err as Error).message}`);
        sink.sendKongError(500, this.requestId);
      }
    }
    this.finish(state, payload.length);
  }

  /**
   * A response-phase plugin threw (or exited) on its way out: Kong's 500 (or the exit) goes out
   * instead, not filtered again, so a failing filter cannot loop.
   */
  answerPhaseFailure(err: unknown): void {
    const answer = phaseAnswer(err, this.requestId, this.ctx.log) ?? kongAnswer(this.requestId, 500);
    this.answer(answer.status, answer.body, answer.headers, false);
  }

  /** Kong's error body (`{"message","request_id"}`) through the response phase. */
  fail(status: number, message = messageFor(status)): void {
    this.answer(status, JSON.stringify(kongErrorBody(this.requestId, message)), {
      'content-type': 'application/json; charset=utf-8',
    });
  }

  /** The response is out: metrics now, log phase and analytics after it. */
  finish(state: ResponseState, responseBytes: number): void {
    if (!this.gatewayMade) runLogPhase(this, state, responseBytes);
  }
}
