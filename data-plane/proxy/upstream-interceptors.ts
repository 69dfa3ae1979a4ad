/**
 * What every upstream request gets, composed once per pool (undici's `compose(interceptors)`),
 * driven per request by a few options on the request itself:
 *
 * - `retries`: Kong's retries (upstream-errors.ts `isRetryable`), on failures before the
 *   response began, only for a body that can be sent again; `onAttempt` hears each attempt.
 * - `decode`: the upstream is asked for `identity` and whatever coding comes back anyway is
 *   decoded (undici's decompress), fail closed — a coding it cannot decode rejects the request
 *   with UnsupportedCoding, so an inspecting plugin never gets bytes it cannot read.
 * - `deadlineMs`: caps the header and body timeouts (the service's read_timeout) for a call
 *   that has its own deadline (a converted tool call).
 */
import { errors, interceptors, type Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { isRetryable } from './upstream-errors';
import { codings, UnsupportedCoding } from './content-coding';

/** What Tollgate adds to undici's request options. */
export interface UpstreamRequestOptions {
  /** The caller left: undici's signal shape (an AbortSignal or an emitter with `aborted`). */
  signal?: unknown;
  retries?: number;
  onAttempt?: () => void;
  decode?: boolean;
  deadlineMs?: number;
}

type Opts = Dispatcher.DispatchOptions & UpstreamRequestOptions & { signal?: unknown };
type Dispatch = Dispatcher['dispatch'];
type Handler = Dispatcher.DispatchHandler;
type Controller = Dispatcher.DispatchController;

/** A handler that hands everything on; the ones below change one step. */
class PassThrough implements Handler {
  constructor(protected readonly next: Handler) {}

  onRequestStart(controller: Controller, context: unknown): void {
    this.next.onRequestStart?.(controller, context);
  }
  onRequestUpgrade(controller: Controller, status: number, headers: IncomingHttpHeaders, socket: any): void {
    this.next.onRequestUpgrade?.(controller, status, headers, socket);
  }
  onResponseStart(
    controller: Controller,
    status: number,
    headers: IncomingHttpHeaders,
    message?: string,
  ): void {
    this.next.onResponseStart?.(controller, status, headers, message);
  }
  onResponseData(controller: Controller, chunk: Buffer): void {
    this.next.onResponseData?.(controller, chunk);
  }
  onResponseEnd(controller: Controller, trailers: IncomingHttpHeaders): void {
    this.next.onResponseEnd?.(controller, trailers);
  }
  onResponseError(controller: Controller, error: Error): void {
    this.next.onResponseError?.(controller, error);
  }
}

/**
 * One attempt of a retried request: its failures before the response began may be retried.
 * Each attempt tells the request's handler it started (undici's request keeps the latest
 * attempt's abort).
 */
class Attempt extends PassThrough {
  private started = false;

  constructor(
    private readonly retry: RetryState,
    next: Handler,
  ) {
    super(next);
  }

  override onResponseStart(
    controller: Controller,
    status: number,
    headers: IncomingHttpHeaders,
    message?: string,
  ): void {
    this.started = true;
    super.onResponseStart(controller, status, headers, message);
  }
  override onResponseError(controller: Controller, error: Error): void {
    if (!this.started && this.retry.again(error)) return;
    super.onResponseError(controller, error);
  }
}

class RetryState {
  private attempts = 0;

  constructor(
    private readonly dispatch: Dispatch,
    private readonly opts: Opts,
    private readonly handler: Handler,
  ) {}

  start(): boolean {
    if (this.aborted()) {
      // Aborted between attempts: no attempt holds the abort, so it is delivered here.
      this.handler.onResponseError?.(null as unknown as Controller, new errors.RequestAbortedError());
      return false;
    }
    this.opts.onAttempt?.();
    return this.dispatch(this.opts, new Attempt(this, this.handler));
  }

  private aborted(): boolean {
    return Boolean((this.opts.signal as { aborted?: boolean } | null | undefined)?.aborted);
  }

  /** Sends the request again when Kong would; false: the failure is the request's. */
  again(error: Error): boolean {
    if (this.attempts >= (this.opts.retries ?? 0) || this.aborted()) return false;
    if (!isRetryable(error, this.opts.method)) return false;
    this.attempts++;
    // Not from inside the failing attempt's callback: the pool settles it first.
    process.nextTick(() => this.start());
    return true;
  }
}

/** A body undici can send again: none, a string or a buffer (never a stream). */
function replayable(body: unknown): boolean {
  return body === undefined || body === null || typeof body === 'string' || Buffer.isBuffer(body);
}

export const retryInterceptor: Dispatcher.DispatcherComposeInterceptor =
  (dispatch) => (opts: Opts, handler) => {
    if (!opts.retries || !replayable(opts.body)) {
      opts.onAttempt?.();
      return dispatch(opts, handler);
    }
    return new RetryState(dispatch, opts, handler).start();
  };

/** undici's decompress says once per process that it is experimental; that is known here. */
function quietly<T>(make: () => T): T {
  const emit = process.emitWarning;
  process.emitWarning = (() => undefined) as typeof process.emitWarning;
  try {
    return make();
  } finally {
    process.emitWarning = emit;
  }
}

const decompress = quietly(() => interceptors.decompress({ skipErrorResponses: false }));

/** Before decompress: `identity` among the codings is no coding (decompress would stop at it). */
class WithoutIdentity extends PassThrough {
  override onResponseStart(
    controller: Controller,
    status: number,
    headers: IncomingHttpHeaders,
    message?: string,
  ): void {
    if (headers['content-encoding'] !== undefined) {
      const list = codings(headers['content-encoding']);
      if (list.length) headers['content-encoding'] = list.join(', ');
      else delete headers['content-encoding'];
    }
    super.onResponseStart(controller, status, headers, message);
  }
}

/** After decompress: a response still encoded has a coding it does not know, and is refused. */
class StillEncoded extends PassThrough {
  override onResponseStart(
    controller: Controller,
    status: number,
    headers: IncomingHttpHeaders,
    message?: string,
  ): void {
    const left = codings(headers['content-encoding']);
    if (left.length) {
      controller.abort(new UnsupportedCoding(`the upstream answered with content coding '${left[0]}'`));
      return;
    }
    super.onResponseStart(controller, status, headers, message);
  }
}

export const decodeInterceptor: Dispatcher.DispatcherComposeInterceptor = (dispatch) => {
  const decoding = decompress((opts, handler) => dispatch(opts, new WithoutIdentity(handler)));
  return (opts: Opts, handler) => {
    if (!opts.decode) return dispatch(opts, handler);
    // The request's own header object (built per request by the exchange): set, not copied.
    if (opts.headers && typeof opts.headers === 'object' && !Array.isArray(opts.headers))
      (opts.headers as Record<string, string | string[]>)['accept-encoding'] = 'identity';
    else opts = { ...opts, headers: { 'accept-encoding': 'identity' } };
    return decoding(opts, new StillEncoded(handler));
  };
};

export const deadlineInterceptor: Dispatcher.DispatcherComposeInterceptor =
  (dispatch) => (opts: Opts, handler) => {
    const deadline = opts.deadlineMs;
    if (deadline === undefined) return dispatch(opts, handler);
    const cap = (t: number | null | undefined) => (t ? Math.min(t, deadline) : deadline);
    return dispatch(
      { ...opts, headersTimeout: cap(opts.headersTimeout), bodyTimeout: cap(opts.bodyTimeout) },
      handler,
    );
  };

/**
 * The order requests meet them: deadline, retries (each attempt decoded on its own), decoding
 * next to the connection (undici applies the last interceptor first).
 */
export const UPSTREAM_INTERCEPTORS = [decodeInterceptor, retryInterceptor, deadlineInterceptor];

/** A balanced service: deadline and retries above the balancer, so each attempt picks again… */
export const BALANCED_INTERCEPTORS = [retryInterceptor, deadlineInterceptor];
/** …and decoding on each attempt, at the target's own pool. */
export const TARGET_INTERCEPTORS = [decodeInterceptor];
