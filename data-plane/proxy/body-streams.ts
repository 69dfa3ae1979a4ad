/** Moving bodies: whole (within a limit), through a filter, dropped, or written with backpressure. */
import type { ServerResponse } from 'node:http';
import { MAX_BUFFERED_BODY } from './body';
import { readWhole } from './read-whole';

export class ResponseTooLarge extends Error {}

/** A response a plugin must rewrite, read whole, within the buffering limit. */
export function collect(
  body: NodeJS.ReadableStream & { destroy(err?: Error): void },
  limit = MAX_BUFFERED_BODY,
): Promise<Buffer> {
  return readWhole(body, limit, () => new ResponseTooLarge());
}

/**
 * `source` written to `res` chunk by chunk with backpressure (paused while `res` is full);
 * resolves with the bytes sent at its end, rejects when it fails or closes before its end.
 */
export function pump(
  source: NodeJS.ReadableStream & { readableEnded?: boolean },
  res: ServerResponse,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let settled = false;
    const settle = (err: Error | null) => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      source.off('close', onClose);
      if (err) reject(err);
      else resolve(sent);
    };
    const onData = (chunk: Buffer) => {
      sent += chunk.length;
      if (!res.write(chunk)) {
        source.pause();
        void waitDrain(res).then(() => source.resume());
      }
    };
    const onEnd = () => settle(null);
    const onError = (err: Error) => settle(err);
    const onClose = () => settle(new Error('stream closed before its end'));
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
    source.on('close', onClose);
  });
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
