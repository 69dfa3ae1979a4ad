/**
 * The upstream's answer to the client: identity decoding when a plugin inspects bodies, the
 * gateway's headers, header filters, then either the whole body through the rewriting plugins
 * (buffered) or chunk by chunk through the streaming filters, with backpressure.
 */
import type { Transform } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { HeaderMap, ResponseState } from '../runtime/plugin-api';
import { MAX_BUFFERED_BODY } from './body';
import { collect, discard, pump, ResponseTooLarge } from './body-streams';
import { filterWholeBody, runHeaderFilters } from './plugin-phases';
import { decodeResponse, UnsupportedCoding } from './content-coding';
import { endToEnd, isEventStream } from './headers';
import { sendError } from '../errors';
import type { ProxyRequest } from './proxy-request';

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

export async function sendUpstreamResponse(
  pr: ProxyRequest,
  up: Dispatcher.ResponseData,
  inspecting: boolean,
): Promise<void> {
  const { rc, res, route, ctx } = pr;
  const state: ResponseState = {
    status: up.statusCode,
    headers: endToEnd(up.headers as any) as HeaderMap,
    source: 'upstream',
  };
  let upstreamBody: Body = up.body;
  if (inspecting) {
    try {
      upstreamBody = decodeResponse(state.headers, up.body) as Body;
    } catch (err) {
      if (!(err instanceof UnsupportedCoding)) throw err;
      ctx.log?.(`${route.name ?? route.id}: ${err.message}`);
      return pr.fail(502);
    }
  }
  state.headers['x-tollgate-upstream-latency'] = String(Math.round(pr.upstreamMs ?? 0));
  state.headers['x-tollgate-proxy-latency'] = String(Math.round(pr.upstreamStarted - pr.started));
  state.headers['via'] = '1.1 tollgate';
  // Kong's X-Kong-Request-Id: the id of this request in the access and error logs.
  state.headers['x-tollgate-request-id'] = pr.requestId;
  pr.withPluginHeaders(state);
  const plugins = pr.responsePlugins();
  try {
    runHeaderFilters(plugins, rc, state);
  } catch (err) {
    discard(up.body);
    return pr.answerPhaseFailure(err);
  }
  const rewriting = plugins.filter((p) => p.wantsResponseBody?.(rc, state));
  if (rewriting.length) {
    let body: Buffer;
    try {
      body = await collect(upstreamBody);
    } catch (err) {
      if (!(err instanceof ResponseTooLarge)) throw err;
      discard(up.body);
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
    res.writeHead(state.status, state.headers);
    res.end(body);
    return pr.finish(state, body.length);
  }
  pr.responseStarted = performance.now();
  try {
    res.writeHead(state.status, state.headers);
  } catch (err) {
    ctx.log?.(`cannot send response headers: ${(err as Error).message}`);
    discard(up.body);
    sendError(res, 502, pr.requestId);
    return;
  }
  // Event streams and unbuffered routes get their headers out at once; either way chunks are
  // forwarded as they arrive, with backpressure (nginx's proxy_buffering reads ahead but never
  // holds a response until it ends).
  if (isEventStream(state.headers['content-type']) || route.response_buffering === false) res.flushHeaders();
  let source: Body = upstreamBody;
  for (const p of plugins) {
    const filter = p.streamFilter?.(rc, state);
    if (filter) source = chain(source, filter);
  }
  const sent = await pump(source, res);
  res.end();
  pr.finish(state, sent);
}
