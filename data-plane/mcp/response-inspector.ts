/**
 * What an MCP route returns is what the gateway read: each JSON body and each SSE event is
 * parsed, handed to `visit` (filtering, observing) and written out again from the parsed value.
 * A body or event the gateway cannot read is replaced by a JSON-RPC error, never passed on as
 * the upstream's bytes, which a lenient client might read differently (or read at all).
 */
import { JSONRPC_ERRORS, jsonRpcError } from './jsonrpc';
import type { SseEvent } from './sse';
import { jsonValues, readJson, type Visit } from './json-values';

export { readJson, type Visit };

const UNREADABLE_BODY = 'The upstream sent a response the gateway could not read as JSON-RPC';
const UNREADABLE_EVENT = 'The upstream sent an event the gateway could not read as JSON-RPC';

/** A whole (non-SSE) response body. */
export function inspectJsonBody(
  body: Buffer,
  status: number,
  visit: Visit,
): { status: number; body: Buffer } {
  // 202/204 carry no JSON-RPC message (Streamable HTTP answers notifications with 202): whatever
  // text came with it (legacy servers send "Accepted") is not passed on uninspected.
  if (body.length === 0 || status === 202 || status === 204) return { status, body: Buffer.alloc(0) };
  const text = body.toString('utf8');
  const value = readJson(text);
  if (value === undefined) {
    // Messages one after another (a server streaming as JSON): each read and written again.
    const values = jsonValues(text);
    if (values)
      return { status, body: Buffer.from(values.map((v) => JSON.stringify(visit(v))).join('\n') + '\n') };
    // Error statuses keep their status (a 401 challenge must stay a 401); a success that cannot
    // be read is a bad gateway.
    return {
      status: status >= 400 ? status : 502,
      body: Buffer.from(jsonRpcError(null, JSONRPC_ERRORS.INTERNAL_ERROR, UNREADABLE_BODY)),
    };
  }
  return { status, body: Buffer.from(JSON.stringify(visit(value))) };
}

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
