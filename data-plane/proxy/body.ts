import type { IncomingMessage } from 'node:http';

export class BodyTooLarge extends Error {}

/** Read a request body into memory, refusing more than `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLarge(`request body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Bodies buffered for plugins, or for `request_buffering`, stay under this size. */
export const MAX_BUFFERED_BODY = 16 * 1024 * 1024;
