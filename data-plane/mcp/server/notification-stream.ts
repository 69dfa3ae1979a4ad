/**
 * The server's own stream of notifications, where it has one (a listener fanning in its
 * sources'): a 2025 GET, or a 2026-07-28 `subscriptions/listen`. Written as an event stream
 * while the notifications come; it ends when every source's stream has ended, and when the
 * client leaves every source's stream is closed.
 */
import { PassThrough } from 'node:stream';
import { formatSseEvent } from '../sse';
import type { HeaderMap, RequestContextApi } from '../../runtime/plugin-api';
import type { ServedTools } from './served-tools';

export const EVENT_STREAM_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-store, no-transform',
};

export interface OpenedStream {
  /** Writes one message as an event. */
  write(message: unknown): void;
  /** Answers the request with the stream (never returns). */
  answer(headers?: HeaderMap): never;
}

/**
 * The sources' streams for this client (`key`: its session, or one listen request), or null
 * when none offers one.
 */
export async function openNotificationStream(
  ctx: RequestContextApi,
  tools: Required<Pick<ServedTools, 'listen'>>,
  key: string | null,
  opts: {
    /** Each source message as the client gets it, or null: not passed on. */
    shape?: (message: Record<string, unknown>) => Record<string, unknown> | null;
    /** Messages that go out before any source's (a 2026 acknowledgment). */
    first?: unknown[];
    /** Every source's stream has ended (or none opened). */
    onEnd?: () => void;
  } = {},
): Promise<OpenedStream | null> {
  const stop = new AbortController();
  const out = new PassThrough();
  const write = (message: unknown) => {
    if (!out.destroyed && !out.writableEnded)
      out.write(formatSseEvent({ event: 'message', data: JSON.stringify(message) }));
  };
  // What sources send before the stream is answered waits behind `first`.
  let held: unknown[] | null = [];
  const stream = tools.listen(
    ctx,
    key,
    (m) => {
      const shaped = opts.shape ? opts.shape(m) : m;
      if (!shaped) return;
      if (held) held.push(shaped);
      else write(shaped);
    },
    stop.signal,
  );
  if (!(await stream.opened)) {
    stop.abort();
    opts.onEnd?.();
    return null;
  }
  for (const m of [...(opts.first ?? []), ...held]) write(m);
  held = null;
  // The client left (the gateway destroys the stream): every source's stream is closed.
  out.on('close', () => stop.abort());
  void stream.ended.then(() => {
    opts.onEnd?.();
    if (!out.destroyed) out.end();
  });
  return {
    write,
    answer: (headers = {}) => ctx.exitStream(200, { ...headers, ...EVENT_STREAM_HEADERS }, out),
  };
}
