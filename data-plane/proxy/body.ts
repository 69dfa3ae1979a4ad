import type { IncomingMessage } from 'node:http';
import { readWhole } from './consume';

export class BodyTooLarge extends Error {}

/** Read a request body into memory, refusing more than `limit` bytes (the request is dropped). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return readWhole(req, limit, () => new BodyTooLarge(`request body larger than ${limit} bytes`));
}

/** Bodies buffered for plugins, or for `request_buffering`, stay under this size. */
export const MAX_BUFFERED_BODY = 16 * 1024 * 1024;
