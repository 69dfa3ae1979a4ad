/**
 * Content coding on routes whose responses a plugin reads or rewrites: the gateway asks the
 * upstream for `identity` and decodes whatever comes back anyway (gzip, deflate, br, in the order
 * applied). A coding it cannot decode fails the request: an inspecting plugin never gets bytes it
 * cannot read, and the client never gets a body nobody inspected.
 */
import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Transform as ZTransform } from 'node:stream';
import type { HeaderMap } from '../runtime/plugin-api';

export class UnsupportedCoding extends Error {}

const DECODERS: Record<string, () => ZTransform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/** The codings of a Content-Encoding header, outermost last (as applied). */
function codings(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value.join(',') : value)
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '' && s !== 'identity');
}

/** The request headers an inspecting route sends upstream. */
export function askForIdentity(headers: HeaderMap): void {
  headers['accept-encoding'] = 'identity';
}

/**
 * The response body decoded; `headers` lose Content-Encoding and Content-Length. Throws
 * UnsupportedCoding for a coding it does not know.
 */
export function decodeResponse(headers: HeaderMap, body: Readable): Readable {
  const list = codings(headers['content-encoding']);
  delete headers['content-encoding'];
  if (!list.length) return body;
  delete headers['content-length'];
  let out: Readable = body;
  for (const coding of list.reverse()) {
    const make = DECODERS[coding];
    if (!make) {
      body.on('error', () => undefined); // an unread undici body emits AbortError when destroyed
      body.destroy();
      throw new UnsupportedCoding(`the upstream answered with content coding '${coding}'`);
    }
    out = pipeline(out, make(), () => undefined);
  }
  return out;
}

/** A request body the gateway must read must not be encoded (it would judge bytes it cannot read). */
export function encodedRequestBody(headers: Record<string, unknown>): string | null {
  return codings(headers['content-encoding'] as string | undefined)[0] ?? null;
}
