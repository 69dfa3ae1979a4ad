/**
 * What an MCP route returns is what the gateway read: each SSE event (here) and each JSON value
 * (json-values.ts) is parsed, handed to `visit` (filtering, observing) and written out again
 * from the parsed value. An event the gateway cannot read is replaced by a JSON-RPC error, never
 * passed on as the upstream's bytes, which a lenient client might read differently (or at all).
 */
import { JSONRPC_ERRORS, jsonRpcError } from './jsonrpc';
import type { SseEvent } from './sse';
import { readJson, type Visit } from './json-values';

export { readJson, type Visit };

const UNREADABLE_EVENT = 'The upstream sent an event the gateway could not read as JSON-RPC';

/** The legacy HTTP+SSE transport's one non-JSON event: the relative URL to POST to. */
function isEndpointEvent(e: SseEvent): boolean {
  // A path or query relative to the stream's URL; never `//host` (another origin).
  return e.event === 'endpoint' && /^(\/(?!\/)|\?)[\x21-\x7e]*$/.test(e.data);
}

/** One SSE event: empty (priming, keep-alive) events pass; others are read and re-written. */
export function inspectSseEvent(event: SseEvent, visit: Visit): SseEvent {
  if (event.data.trim() === '' || isEndpointEvent(event)) return event;
  const value = readJson(event.data);
  if (value === undefined)
    return { ...event, data: jsonRpcError(null, JSONRPC_ERRORS.INTERNAL_ERROR, UNREADABLE_EVENT) };
  return { ...event, data: JSON.stringify(visit(value)) };
}
