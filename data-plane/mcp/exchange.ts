/**
 * What the gateway saw of one MCP exchange, for analytics: the JSON-RPC messages of the
 * request, the answers matched to them by id, and messages the server sent on its own (SSE).
 * ai-mcp-proxy fills it in; the analytics recorder turns each message into a record.
 */
import type { RequestContextApi } from '../runtime/plugin-api';
import { defineSlot } from '../runtime/slots';
import type { JsonRpcId } from './jsonrpc';
import type { Era } from './protocol-era';
import { redact } from '../../shared/redact';

export interface McpMessageSeen {
  method: string | null;
  tool: string | null;
  id?: JsonRpcId;
  /** tools/list asked for a later page (its reply is not the whole list). */
  cursor?: boolean;
  error: number | null;
  detail: Record<string, unknown> | null;
}

export interface McpExchange {
  messages: McpMessageSeen[];
  /** The request's protocol era (protocol-era.ts), once its body was read. */
  era: Era;
  sessionId: string | null;
  /** Answers are observed (logging.log_statistics / log_payloads). */
  observeResponses: boolean;
  logPayloads: boolean;
}

const EXCHANGE = defineSlot<McpExchange>('mcp:exchange');
export function exchangeOf(ctx: RequestContextApi): McpExchange | undefined {
  return ctx.slots.get(EXCHANGE);
}

export function startExchange(
  ctx: RequestContextApi,
  init: Omit<McpExchange, 'messages' | 'era'>,
): McpExchange {
  const ex: McpExchange = { messages: [], era: 'legacy', ...init };
  ctx.slots.set(EXCHANGE, ex);
  return ex;
}

/**
 * A message's detail as stored: payloads redacted. A request and the answer matched to it keep
 * their payloads as seen (parsed, never changed afterwards; one per request id, so bounded) and
 * are redacted here, in the log phase, off the response's path.
 */
export function storedDetail(detail: Record<string, unknown> | null): Record<string, unknown> | null {
  // Server-initiated messages are redacted when seen (see observeServerMessage).
  if (!detail || detail.direction === 'server') return detail;
  if (!('request_payload' in detail) && !('response_payload' in detail)) return detail;
  const out = { ...detail };
  if ('request_payload' in out) out.request_payload = redact(out.request_payload);
  if ('response_payload' in out) out.response_payload = redact(out.response_payload);
  return out;
}

/** Record an answer or a server-initiated message seen in the response. */
export function observeServerMessage(ex: McpExchange, message: any): void {
  if (!message || typeof message !== 'object') return;
  const matched =
    'id' in message && !('method' in message)
      ? ex.messages.find((m) => m.id !== undefined && m.id === message.id && m.method !== null)
      : undefined;
  if (matched) {
    matched.error = typeof message.error?.code === 'number' ? message.error.code : null;
    if (ex.logPayloads) matched.detail = { ...(matched.detail ?? {}), response_payload: message };
    return;
  }
  if (typeof message.method === 'string') {
    ex.messages.push({
      method: message.method,
      tool: null,
      error: null,
      // A stream can carry any number of these: kept redacted (bounded), never whole.
      detail: ex.logPayloads
        ? { response_payload: redact(message), direction: 'server' }
        : { direction: 'server' },
    });
  }
}
