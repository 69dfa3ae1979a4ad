/**
 * Server-sent events, event by event: parse a byte stream into events as they complete, let a
 * callback keep, rewrite or drop each one, and write them out again at once. Only the event
 * being received is held; nothing waits for the end of the stream.
 */
import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** What to send instead of an event: the same (unchanged), another event, or nothing. */
export type SseDecision = SseEvent | null;

export function formatSseEvent(e: SseEvent, retry?: number): string {
  let out = '';
  if (e.id !== undefined) out += `id: ${e.id}\n`;
  if (e.event !== undefined) out += `event: ${e.event}\n`;
  for (const line of e.data.split('\n')) out += `data: ${line}\n`;
  if (retry !== undefined) out += `retry: ${retry}\n`;
  return `${out}\n`;
}

/** A Transform that passes an SSE stream through `onEvent`, one event at a time. */
export function sseTransform(
  onEvent: (event: SseEvent) => SseDecision,
  { maxEventBytes = 8 * 1024 * 1024, beatOnly = false }: { maxEventBytes?: number; beatOnly?: boolean } = {},
): Transform {
  let pending: string[] = [];
  let buffered = 0;
  // A multi-byte character split across chunks must not be mangled.
  const decoder = new StringDecoder('utf8');
  const parser = createParser({
    onEvent(message: EventSourceMessage) {
      buffered = 0;
      const decision = onEvent({ id: message.id, event: message.event, data: message.data });
      if (decision) pending.push(formatSseEvent(decision));
    },
    onRetry(ms: number) {
      pending.push(`retry: ${ms}\n\n`);
    },
    onComment(comment: string) {
      // A comment keeps an idle stream alive. With `beatOnly` its text (the upstream's, never
      // inspected) is dropped and only the beat passed on.
      pending.push(beatOnly ? ':\n\n' : `: ${comment}\n\n`);
    },
  });
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      buffered += chunk.length;
      if (buffered > maxEventBytes) {
        return done(new Error(`an SSE event exceeds ${maxEventBytes} bytes`));
      }
      try {
        parser.feed(decoder.write(chunk));
      } catch (err) {
        return done(err as Error);
      }
      if (pending.length) {
        const out = pending.join('');
        pending = [];
        return done(null, out);
      }
      done();
    },
    flush(done: TransformCallback) {
      parser.feed(decoder.end());
      parser.reset({ consume: true });
      const out = pending.join('');
      pending = [];
      done(null, out || undefined);
    },
  });
}
