/**
 * Streams read with listeners rather than an async iterator (which costs a promise per chunk
 * and per request on the hot path).
 */
type Source = NodeJS.ReadableStream & { destroy(err?: Error): void };

/**
 * Every chunk of `stream` to `onData` until its end. Resolves at the end; rejects when the stream
 * fails or closes before its end (a cut body is never taken as whole), or with the error `onData`
 * returns, which stops reading and destroys the stream.
 */
export function consume(stream: Source, onData: (chunk: Buffer) => Error | void): Promise<void> {
  return new Promise((resolve, reject) => {
    const state = stream as unknown as { destroyed?: boolean; readableEnded?: boolean };
    // Listeners on a stream that has already ended or been destroyed would wait for ever.
    if (state.readableEnded || state.destroyed) return reject(new Error('stream already ended'));
    let settled = false;
    const settle = (err: Error | null) => {
      if (settled) return;
      settled = true;
      stream.off('data', data);
      stream.off('end', end);
      stream.off('error', settle);
      stream.off('close', close);
      if (err) reject(err);
      else resolve();
    };
    const data = (chunk: Buffer | string) => {
      let stop: Error | void;
      try {
        stop = onData(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      } catch (err) {
        stop = err as Error; // a failing consumer fails this body, never the process
      }
      if (!stop) return;
      settle(stop);
      // Nobody reads the rest: errors of the destroyed stream go nowhere.
      stream.on('error', () => undefined);
      stream.destroy();
    };
    const end = () => settle(null);
    const close = () => settle(new Error('stream closed before its end'));
    stream.on('data', data);
    stream.on('end', end);
    stream.on('error', settle);
    stream.on('close', close);
  });
}

/** `stream` read whole into one Buffer; over `limit` bytes it is destroyed and `tooLarge()` rejects. */
export async function readWhole(
  stream: Source,
  limit: number,
  tooLarge: () => Error,
  observe?: (chunk: Buffer) => void,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  await consume(stream, (c) => {
    size += c.length;
    if (size > limit) return tooLarge();
    chunks.push(c);
    observe?.(c);
  });
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
}
