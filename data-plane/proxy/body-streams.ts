/** Moving bodies: whole (within a limit), through a filter, dropped, or written with backpressure. */
import type { ServerResponse } from 'node:http';
import { MAX_BUFFERED_BODY } from './body';
import { consume, readWhole } from './consume';

export class ResponseTooLarge extends Error {}

/** A response a plugin must rewrite, read whole, within the buffering limit. */
export function collect(
  body: NodeJS.ReadableStream & { destroy(err?: Error): void },
  limit = MAX_BUFFERED_BODY,
  observe?: (chunk: Buffer) => void,
): Promise<Buffer> {
  return readWhole(body, limit, () => new ResponseTooLarge(), observe);
}

/**
 * `source` written to `res` chunk by chunk with backpressure (paused while `res` is full);
 * resolves with the bytes sent at its end, rejects when it fails or closes before its end.
 * `beforeFirst` runs once, before the first chunk is written (a deferred head).
 */
export async function pump(
  source: NodeJS.ReadableStream & { destroy(err?: Error): void },
  res: ServerResponse,
  beforeFirst?: () => void,
): Promise<number> {
  let sent = 0;
  await consume(source, (chunk) => {
    if (sent === 0 && beforeFirst) beforeFirst();
    sent += chunk.length;
    if (!res.write(chunk)) {
      source.pause();
      void waitDrain(res).then(() => source.resume());
    }
  });
  return sent;
}

/** A whole body through a streaming filter (when another plugin made the response buffered). */
export function throughFilter(filter: NodeJS.ReadWriteStream, body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    filter.on('data', (c: Buffer | string) => out.push(Buffer.isBuffer(c) ? c : Buffer.from(c)));
    filter.on('end', () => resolve(Buffer.concat(out)));
    filter.on('error', reject);
    filter.end(body);
  });
}

/** Drop an upstream body unread (destroying an undici body emits AbortError: no one is listening). */
export function discard(body: NodeJS.ReadableStream & { destroy(): void }) {
  body.on('error', () => undefined);
  body.destroy();
}

export function waitDrain(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
