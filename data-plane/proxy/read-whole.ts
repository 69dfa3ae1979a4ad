/**
 * A stream read whole into one Buffer, with listeners rather than an async iterator (which costs
 * a promise per chunk and per request on the hot path). Over `limit` the stream is destroyed
 * and `tooLarge()` rejects; a stream closed before its end rejects too, never resolving a cut body.
 */
export function readWhole(
  stream: NodeJS.ReadableStream & { destroy(err?: Error): void },
  limit: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (err: Error | null) => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (err) reject(err);
      else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer | string) => {
      const c = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += c.length;
      if (size > limit) {
        settle(tooLarge());
        // Nobody reads the rest: errors of the destroyed stream go nowhere.
        stream.on('error', () => undefined);
        stream.destroy();
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => settle(null);
    const onError = (err: Error) => settle(err);
    const onClose = () => settle(new Error('stream closed before its end'));
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}
