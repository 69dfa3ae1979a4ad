/**
 * 2026-07-28 results say what they are (`resultType`: `complete`, `input_required`, or an
 * extension's — the tasks extension's `task`); an absent one is `complete` (older servers). A
 * result of a type the gateway does not know could carry anything, so it becomes an error.
 * `input_required` results (multi-round-trip requests) pass with their `requestState`
 * untouched: the client's retry is a new request, judged like any other.
 */
import { JSONRPC_ERRORS } from './jsonrpc';

const KNOWN_RESULT_TYPES: ReadonlySet<string> = new Set(['complete', 'input_required', 'task']);

function checked(message: unknown): unknown {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return message;
  const result = (message as Record<string, any>).result;
  if (!result || typeof result !== 'object' || !('resultType' in result)) return message;
  if (typeof result.resultType === 'string' && KNOWN_RESULT_TYPES.has(result.resultType)) return message;
  return {
    jsonrpc: '2.0',
    id: (message as Record<string, any>).id ?? null,
    error: {
      code: JSONRPC_ERRORS.INTERNAL_ERROR,
      message: `The upstream answered with a result type the gateway does not know (${JSON.stringify(result.resultType).slice(0, 64)})`,
    },
  };
}

/** A parsed body or event, every result of an unknown type replaced by an error. */
export function checkResultTypes(value: unknown): unknown {
  return Array.isArray(value) ? value.map(checked) : checked(value);
}
