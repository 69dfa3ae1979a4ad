/**
 * A source's progress on a listener call, relayed to the client: the call asks the source for
 * progress under a token the gateway made for that one request, and only progress notifications
 * on that request's own event stream, carrying that token, are relayed — as the client's token,
 * with numbers checked and increasing (the spec's rule). Another token, another request's or a
 * malformed notification is dropped: a source cannot speak for another call.
 */
import { randomUUID } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { HeaderMap } from '../../data-plane/runtime/plugin-api';
import type { Progress, ProgressSink } from '../../data-plane/mcp/server/served-tools';
import { isEventStream } from '../../data-plane/proxy/headers';

/** The longest progress message relayed. */
const MAX_MESSAGE = 1024;

/** A notification's progress, if it is well formed and moves forward from `last`. */
function progressOf(params: Record<string, unknown>, last: number): Progress | null {
  const { progress, total, message } = params;
  if (typeof progress !== 'number' || !Number.isFinite(progress) || progress <= last) return null;
  const out: Progress = { progress };
  if (typeof total === 'number' && Number.isFinite(total)) out.total = total;
  if (typeof message === 'string') out.message = message.slice(0, MAX_MESSAGE);
  return out;
}

export interface ProgressRelay {
  /** The request's params as sent: `_meta.progressToken` the gateway's own. */
  params: Record<string, unknown>;
  /** Each chunk of the answer as it arrives. */
  observe(chunk: Buffer, head: { headers: HeaderMap } | null): void;
}

export function progressRelay(params: Record<string, unknown>, relay: ProgressSink): ProgressRelay {
  const token = `tollgate-${randomUUID()}`;
  const meta = params._meta && typeof params._meta === 'object' ? params._meta : {};
  let parser: EventSourceParser | null = null;
  const decoder = new StringDecoder('utf8');
  let last = -Infinity;
  const onEvent = (data: string) => {
    let m: unknown;
    try {
      m = JSON.parse(data);
    } catch {
      return; // the answer itself is judged whole afterwards
    }
    const n = m as { method?: unknown; id?: unknown; params?: { progressToken?: unknown } };
    if (!n || n.method !== 'notifications/progress' || 'id' in n || n.params?.progressToken !== token) return;
    const p = progressOf(n.params as Record<string, unknown>, last);
    if (!p) return;
    last = p.progress;
    relay(p);
  };
  return {
    params: { ...params, _meta: { ...meta, progressToken: token } },
    observe(chunk, head) {
      if (!head || !isEventStream(head.headers['content-type'])) return;
      parser ??= createParser({ onEvent: (e) => onEvent(e.data) });
      parser.feed(decoder.write(chunk));
    },
  };
}
