/**
 * A source's own stream of notifications (the 2025 GET stream), read for a listener that fans
 * them in. Only notifications are taken — each a whole JSON object with a method and no id —
 * within 1 MiB per event; requests of the source (it cannot be answered for the client) and
 * anything unreadable are dropped, and an event that grows past the limit ends the stream.
 */
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';

/** The longest event read from a source's stream. */
export const MAX_STREAM_EVENT = 1024 * 1024;

export type Notification = { method: string; params?: Record<string, unknown> };

/** A reader of a stream's chunks: each notification to `onMessage`; `tooLarge` when an event overflows. */
export function notificationReader(
  onMessage: (m: Notification) => void,
  tooLarge: () => void,
): (chunk: Buffer) => void {
  const decoder = new StringDecoder('utf8');
  let pending = 0;
  let stopped = false;
  const parser = createParser({
    onEvent(e) {
      pending = 0;
      let m: unknown;
      try {
        m = JSON.parse(e.data);
      } catch {
        return;
      }
      const n = m as { method?: unknown; id?: unknown; params?: unknown };
      if (!n || typeof n !== 'object' || Array.isArray(n) || typeof n.method !== 'string' || 'id' in n)
        return;
      if (
        n.params !== undefined &&
        (typeof n.params !== 'object' || n.params === null || Array.isArray(n.params))
      )
        return;
      onMessage(n as Notification);
    },
  });
  return (chunk) => {
    if (stopped) return;
    pending += chunk.length;
    if (pending > MAX_STREAM_EVENT) {
      stopped = true;
      return tooLarge();
    }
    parser.feed(decoder.write(chunk));
  };
}

/**
 * Notifications a listener passes on from a source's stream, with the source named in `_meta`.
 * Progress and cancellations there are about requests the gateway made, never the client's;
 * anything else this gateway does not know is not passed on.
 */
const FANNED_IN = new Set([
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/resources/list_changed',
  'notifications/resources/updated',
  'notifications/message',
]);

/** The `_meta` key naming the source a fanned-in notification came from. */
export const SOURCE_META = 'io.tollgate/source';

export function fannedIn(source: string, m: Notification): Record<string, unknown> | null {
  if (!FANNED_IN.has(m.method)) return null;
  const params = m.params ?? {};
  const meta = params._meta && typeof params._meta === 'object' ? params._meta : {};
  return {
    jsonrpc: '2.0',
    method: m.method,
    params: { ...params, _meta: { ...meta, [SOURCE_META]: source } },
  };
}
