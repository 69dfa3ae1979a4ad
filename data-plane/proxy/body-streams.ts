/** Moving bodies: whole (within a limit), through a filter, dropped, or written with backpressure. */
import type { ServerResponse } from 'node:http';
import { MAX_BUFFERED_BODY } from './body';

export class ResponseTooLarge extends Error {}

/** A response a plugin must rewrite, read whole, within the buffering limit. */
export async function collect(body: AsyncIterable<Buffer>, limit = MAX_BUFFERED_BODY): Promise<Buffer> {
  const out: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += c.length;
    if (size > limit) throw new ResponseTooLarge();
    out.push(c);
  }
  return Buffer.concat(out);
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
