/**
 * Reads along a JSON response without holding it back: chunks pass through at once, a copy
 * (up to a limit) is parsed when the body ends, for analytics only.
 */
import { Transform } from 'node:stream';

export function jsonTap(onValue: (value: unknown) => void, maxBytes = 1024 * 1024): Transform {
  const chunks: Buffer[] = [];
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      if (size <= maxBytes && size > 0) {
        try {
          onValue(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          // not JSON after all: nothing to observe
        }
      }
      cb();
    },
  });
}
