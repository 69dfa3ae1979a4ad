/** How the gateway's own MCP server writes its answers, in either era. */
import type { JsonRpcId } from '../jsonrpc';
import { PassThrough } from 'node:stream';
import { formatSseEvent } from '../sse';
import type { Progress, ProgressSink } from './served-tools';
import type { HeaderMap, RequestContextApi } from '../../runtime/plugin-api';

export type Reply = {
  jsonrpc: '2.0';
  id: JsonRpcId | null;
  result?: unknown;
  error?: { code: number; message: string };
};

export const JSON_HEADERS = { 'content-type': 'application/json' };
/** Messages per POST (batches, 2025-03-26): tool calls run one after the other. */
export const MAX_BATCH = 32;

export function errorReply(id: JsonRpcId | null, code: number, message: string): Reply {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

/** SSE when Accept names text/event-stream and not application/json before it. */
export function wantsSse(accept: string): boolean {
  const types = accept
    .toLowerCase()
    .split(',')
    .map((t) => t.split(';')[0].trim());
  const sse = types.indexOf('text/event-stream');
  const json = types.indexOf('application/json');
  return sse !== -1 && (json === -1 || sse < json);
}

export function acceptable(accept: string | undefined): boolean {
  if (accept === undefined) return true;
  return /(^|,)\s*(application\/json|text\/event-stream|application\/\*|\*\/\*)\s*(;|,|$)/i.test(accept);
}

/** The answer to a POST: 202 without replies, else JSON or one SSE event as Accept prefers. */
export function sendReplies(
  ctx: RequestContextApi,
  replies: unknown[],
  batch: boolean,
  headers: HeaderMap,
): never {
  if (!replies.length) return ctx.exit(202, undefined, headers);
  const payload = JSON.stringify(batch ? replies : replies[0]);
  if (wantsSse(String(ctx.req.headers.accept ?? '')))
    return ctx.exit(200, formatSseEvent({ event: 'message', data: payload }), {
      ...headers,
      'content-type': 'text/event-stream',
      'cache-control': 'no-store, no-transform',
    });
  return ctx.exit(200, payload, { ...headers, ...JSON_HEADERS });
}

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-store, no-transform' };

/** The progress token a request asked for (`_meta.progressToken`: a string or an integer). */
export function progressTokenOf(params: unknown): string | number | null {
  const meta = (params as { _meta?: unknown } | null)?._meta;
  const token = meta && typeof meta === 'object' ? (meta as { progressToken?: unknown }).progressToken : null;
  return typeof token === 'string' || Number.isSafeInteger(token) ? (token as string | number) : null;
}

/** Whether a client takes an event stream as the answer to its POST. */
export function takesEventStream(accept: string | undefined): boolean {
  return /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(accept ?? '');
}

/**
 * A reply written as an event stream while it is made: the head at once, each progress
 * notification as it comes (with the client's own token), the reply last. A failure while
 * making it ends the stream with an internal error for that request.
 */
export function streamReply(
  ctx: RequestContextApi,
  headers: HeaderMap,
  id: JsonRpcId,
  token: string | number,
  make: (progress: ProgressSink) => Promise<Reply>,
  log?: (line: string) => void,
): never {
  const out = new PassThrough();
  const write = (message: unknown) => {
    if (!out.writableEnded && !out.destroyed)
      out.write(formatSseEvent({ event: 'message', data: JSON.stringify(message) }));
  };
  const progress = (p: Progress) =>
    write({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, ...p } });
  void make(progress)
    .catch((err: Error) => {
      log?.(`MCP server: ${err.stack ?? err}`);
      return errorReply(id, -32603, 'Internal error');
    })
    .then((reply) => {
      write(reply);
      out.end();
    });
  return ctx.exitStream(200, { ...headers, ...SSE_HEADERS }, out);
}
