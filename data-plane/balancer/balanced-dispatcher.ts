/**
 * The dispatcher of a service whose host names an upstream: each attempt (retries sit above
 * it, upstream-interceptors.ts) picks a target with the upstream's algorithm, never one the
 * request already tried while an untried one is healthy, sets the Host header for it, and goes through that target's own pool.
 * What comes back is counted for the target: in-flight requests, latency, passive health.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Dispatcher } from 'undici';
import { isTimeout } from '../proxy/upstream-errors';
import type { BalancedTarget, BalanceAttempts, UpstreamBalancer } from './upstream-balancer';
import { tagged } from './session-affinity';

/** Kong: no target to send to is a 503. */
export class NoHealthyTarget extends Error {
  readonly code = 'TOLLGATE_NO_PEER';
  constructor() {
    super('failure to get a peer from the ring-balancer');
  }
}

/** Per request, on the dispatch options. */
export interface BalanceOptions {
  balancer: UpstreamBalancer;
  attempts: BalanceAttempts;
  /** The Host header for a target, or null to keep the request's (preserve_host). */
  hostHeader: ((t: BalancedTarget) => string) | null;
  /** The header whose values the response's target tags (session-affinity.ts). */
  affinityHeader: string | null;
  setCookie?: string;
  /** The target of the latest attempt (logs, errors). */
  chosen?: BalancedTarget;
}

type Opts = Dispatcher.DispatchOptions & { balance?: BalanceOptions };
type Handler = Dispatcher.DispatchHandler;
type Controller = Dispatcher.DispatchController;

const LATENCY_WEIGHT = 0.3;

/** Hands everything on, counting the outcome for the target once. */
class Observed implements Handler {
  private settled = false;
  private readonly sentAt = performance.now();

  constructor(
    private readonly next: Handler,
    private readonly target: BalancedTarget,
    private readonly b: BalanceOptions,
  ) {}

  private settle() {
    if (this.settled) return;
    this.settled = true;
    this.target.state.inFlight--;
  }

  private passive(outcome: 'success' | 'http_failure' | 'tcp_failure' | 'timeout') {
    this.target.state.health.report(outcome, this.b.balancer.passive);
  }

  onRequestStart(controller: Controller, context: unknown): void {
    this.next.onRequestStart?.(controller, context);
  }
  onRequestUpgrade(c: Controller, status: number, headers: IncomingHttpHeaders, socket: any): void {
    this.next.onRequestUpgrade?.(c, status, headers, socket);
  }
  onResponseStart(c: Controller, status: number, headers: IncomingHttpHeaders, message?: string): void {
    const ms = performance.now() - this.sentAt;
    const s = this.target.state;
    s.latencyMs = s.latencyMs === null ? ms : s.latencyMs + LATENCY_WEIGHT * (ms - s.latencyMs);
    const p = this.b.balancer.upstream.healthchecks.passive;
    if (p.unhealthy.http_statuses.includes(status)) this.passive('http_failure');
    else if (p.healthy.http_statuses.includes(status)) this.passive('success');
    const name = this.b.affinityHeader;
    const value = name ? headers[name] : undefined;
    if (name && typeof value === 'string') headers[name] = tagged(value, this.target);
    if (this.b.setCookie) {
      const set = headers['set-cookie'];
      headers['set-cookie'] = [...(Array.isArray(set) ? set : set ? [set] : []), this.b.setCookie];
    }
    this.next.onResponseStart?.(c, status, headers, message);
  }
  onResponseData(c: Controller, chunk: Buffer): void {
    this.next.onResponseData?.(c, chunk);
  }
  onResponseEnd(c: Controller, trailers: IncomingHttpHeaders): void {
    this.settle();
    this.next.onResponseEnd?.(c, trailers);
  }
  onResponseError(c: Controller, error: Error): void {
    this.settle();
    if (isTimeout(error)) this.passive('timeout');
    else if ((error as { name?: string }).name !== 'AbortError' && !/aborted/i.test(error.message))
      this.passive('tcp_failure');
    this.next.onResponseError?.(c, error);
  }
}

export class BalancedDispatcher extends Dispatcher {
  constructor(private readonly direct: (t: BalancedTarget) => Dispatcher) {
    super();
  }

  override dispatch(opts: Opts, handler: Handler): boolean {
    const b = opts.balance!;
    const target = b.balancer.pick(b.attempts);
    if (!target) {
      handler.onResponseError?.(null as unknown as Controller, new NoHealthyTarget());
      return true;
    }
    b.attempts.tried.add(target);
    b.chosen = target;
    if (b.hostHeader && opts.headers && typeof opts.headers === 'object' && !Array.isArray(opts.headers))
      (opts.headers as Record<string, string>).host = b.hostHeader(target);
    target.state.inFlight++;
    return this.direct(target).dispatch(opts, new Observed(handler, target, b));
  }

  override close(): Promise<void> {
    return Promise.resolve();
  }

  override destroy(): Promise<void> {
    return Promise.resolve();
  }
}
