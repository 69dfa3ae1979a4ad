/**
 * Content coding. Responses a plugin reads are decoded by the pool's decode interceptor
 * (upstream-interceptors.ts), fail closed with UnsupportedCoding. Request bodies a plugin reads
 * must not be encoded at all (encodedRequestBody): the gateway never judges bytes it cannot read.
 */
export class UnsupportedCoding extends Error {}

/** The codings of a Content-Encoding header, in the order applied, `identity` (none) left out. */
export function codings(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value.join(',') : value)
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '' && s !== 'identity');
}

/** A request body the gateway must read must not be encoded (it would judge bytes it cannot read). */
export function encodedRequestBody(headers: Record<string, unknown>): string | null {
  return codings(headers['content-encoding'] as string | undefined)[0] ?? null;
}
