/** The upstream's answer, through the response phase, into the exchange's sink. */
import type { Transform } from 'node:stream';
import type { UpstreamResponse } from './upstream-request';
import type { HeaderMap, PluginInstance, ResponseState } from '../runtime/plugin-api';
import { MAX_BUFFERED_BODY } from './body';
import { collect, discard, ResponseTooLarge } from './body-streams';
import { filterWholeBody, runHeaderFilters } from './plugin-phases';
import { endToEnd, isEventStream } from './headers';
import type { ProxyRequest } from './proxy-request';
import { HeadRefused } from './response-sink';
import type { StreamedExit } from '../runtime/plugin-api';

type Body = NodeJS.ReadableStream & { destroy(err?: Error): void };

/**
 * `source` through `filter`, an error on either side destroying both (and ending the loop that
 * reads the result). Not stream.pipeline: it allocates an AbortController per call and aborts
 * it, with a DOMException and its stack, on every normal end.
 */
function chain(source: Body, filter: Transform): Body {
  const fail = (err: Error) => {
    filter.destroy(err);
    (source as unknown as { destroy(e?: Error): void }).destroy(err);
  };
  source.on('error', fail);
  filter.on('error', fail);
  // Closed without an error but before its end: the response is cut, never reported whole.
  const premature = () => new Error('stream closed before its end');
  source.on('close', () => {
    if (!(source as unknown as { readableEnded: boolean }).readableEnded) fail(premature());
  });
  filter.on('close', () => {
    if (!filter.readableEnded) fail(premature());
  });
  source.pipe(filter);
  return filter as unknown as Body;
}

/** The gateway's headers on an upstream answer. */
function gatewayHeaders(pr: ProxyRequest, state: ResponseState): void {
  state.headers['x-tollgate-upstream-latency'] = String(Math.round(pr.upstreamMs ?? 0));
  state.headers['x-tollgate-proxy-latency'] = String(Math.round(pr.upstreamStarted - pr.started));
  state.headers['via'] = '1.1 tollgate';
  // Kong's X-Kong-Request-Id: the id of this request in the access and error logs.
  state.headers['x-tollgate-request-id'] = pr.requestId;
  pr.withPluginHeaders(state);
}

/** The whole body through every response-phase plugin, sent with its length. */
async function sendRewritten(
  pr: ProxyRequest,
  source: Body,
  plugins: PluginInstance[],
  state: ResponseState,
) {
  const { rc, route, ctx } = pr;
  let body: Buffer;
  try {
    body = await collect(source);
  } catch (err) {
    if (!(err instanceof ResponseTooLarge)) throw err;
    discard(source);
    ctx.log?.(
      `response of ${route.name ?? route.id} too large to transform (over ${MAX_BUFFERED_BODY} bytes)`,
    );
    return pr.fail(502);
  }
  try {
    // Every response-phase plugin sees the body: the buffering ones whole, the streaming
    // ones (an SSE inspector) through their filter, so buffering never skips an inspection.
    body = await filterWholeBody(plugins, rc, state, body);
  } catch (err) {
    return pr.answerPhaseFailure(err);
  }
  state.headers['content-length'] = String(body.length);
  delete state.headers['transfer-encoding'];
  pr.responseStarted = performance.now();
  pr.sink.send(state.status, state.headers, body);
  return pr.finish(state, body.length);
}

/**
 * The upstream's answer (already decoded by the pool's interceptors when a plugin inspects it):
 * the gateway's headers, header filters, then the body whole through rewriting plugins or chunk
 * by chunk through streaming filters, into the exchange's sink.
 */
export async function sendUpstreamResponse(pr: ProxyRequest, up: UpstreamResponse): Promise<void> {
  const { rc } = pr;
  const state: ResponseState = {
    status: up.statusCode,
    headers: endToEnd(up.headers as HeaderMap) as HeaderMap,
    source: 'upstream',
  };
  gatewayHeaders(pr, state);
  const plugins = pr.responsePlugins();
  try {
    runHeaderFilters(plugins, rc, state);
  } catch (err) {
    discard(up.body);
    return pr.answerPhaseFailure(err);
  }
  return sendBody(pr, state, up.body, plugins);
}

/**
 * The access phase answered with a body it is still writing (StreamedExit): through the
 * response phase as an upstream's body goes, never held (an event stream's head goes at once).
 */
export async function sendGatewayStream(pr: ProxyRequest, exit: StreamedExit): Promise<void> {
  pr.answered = true;
  // The client left: whoever writes the stream learns it from the stream's close.
  const left = () => exit.stream.destroy();
  if (pr.abort.aborted) left();
  else pr.abort.once('abort', left);
  const state: ResponseState = {
    status: exit.status,
    headers: { ...exit.headers, 'x-tollgate-request-id': pr.requestId },
    source: 'gateway',
  };
  pr.withPluginHeaders(state);
  const plugins = pr.responsePlugins();
  try {
    runHeaderFilters(plugins, pr.rc, state);
  } catch (err) {
    discard(exit.stream);
    return pr.answerPhaseFailure(err);
  }
  return sendBody(pr, state, exit.stream, plugins);
}

/** A body after the header filters: whole through rewriting plugins, or streamed through filters. */
async function sendBody(
  pr: ProxyRequest,
  state: ResponseState,
  body: Body,
  plugins: PluginInstance[],
): Promise<void> {
  const { rc, sink, route } = pr;
  if (plugins.some((p) => p.wantsResponseBody?.(rc, state))) return sendRewritten(pr, body, plugins, state);
  pr.responseStarted = performance.now();
  let source: Body = body;
  let filtered = false;
  for (const p of plugins) {
    const filter = p.streamFilter?.(rc, state);
    if (filter) source = chain(source, filter);
    filtered ||= filter != null;
  }
  // Event streams, and unbuffered routes whose body nothing filters, get their head out at once;
  // others with the first byte of the (filtered) body, so a filter can still refuse. Either way
  // chunks are forwarded as they arrive, with backpressure (nginx's proxy_buffering reads ahead
  // but never holds a response until it ends).
  const flush =
    isEventStream(state.headers['content-type']) || (route.response_buffering === false && !filtered);
  try {
    sink.start(state, flush);
  } catch (err) {
    return refuseHead(pr, source, err);
  }
  let sent: number;
  try {
    sent = await sink.stream(source);
  } catch (err) {
    if (err instanceof HeadRefused) return refuseHead(pr, source, err);
    throw err;
  }
  pr.finish(state, sent);
}

/** The head a plugin set cannot be sent: Kong's 502 instead, the body dropped. */
function refuseHead(pr: ProxyRequest, body: Body, err: unknown): void {
  pr.ctx.log?.(`cannot send response headers: ${(err as Error).message}`);
  discard(body);
  pr.sink.sendKongError(502, pr.requestId);
}
