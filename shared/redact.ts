/** Payloads and diffs safe to store or log: secret-looking keys redacted, long strings cut. */
import { setOwn } from './unicode';

const SECRET_KEY = /pass(word)?|secret|token|authorization|api[-_]?key|credential|cookie|private[-_]?key/i;
const MAX_STRING = 4096;

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 20) return '[TRUNCATED]';
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (Array.isArray(value)) return value.slice(0, 200).map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      setOwn(out, k, SECRET_KEY.test(k) ? '[REDACTED]' : redact(v, depth + 1));
    return out;
  }
  return value;
}
