/**
 * tools/list filtering that does not depend on matching ids: every `result.tools` array of every
 * JSON-RPC response the upstream sends on an MCP route (single, batch, JSON or SSE, POST reply
 * or GET stream, replays included) keeps only the caller's allowed tools. A `result.tools` that
 * is not an array cannot be filtered, so that message becomes an error.
 */
import { JSONRPC_ERRORS } from './jsonrpc';

/** Given the listed tool's name and the tool itself (an object with a string name). */
export type ToolAllowed = (name: string, tool: Record<string, unknown>) => boolean;

function filterMessage(message: unknown, allowed: ToolAllowed): unknown {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return message;
  const m = message as Record<string, any>;
  const result = m.result;
  if (!result || typeof result !== 'object' || !Object.prototype.hasOwnProperty.call(result, 'tools'))
    return message;
  if (!Array.isArray(result.tools)) {
    return {
      jsonrpc: '2.0',
      id: m.id ?? null,
      error: {
        code: JSONRPC_ERRORS.INTERNAL_ERROR,
        message: 'The upstream sent a tool list the gateway cannot read',
      },
    };
  }
  return {
    ...m,
    result: {
      ...result,
      tools: result.tools.filter(
        (t: any) =>
          t && typeof t === 'object' && !Array.isArray(t) && typeof t.name === 'string' && allowed(t.name, t),
      ),
    },
  };
}

/** Every `result.tools` array of a parsed body or event, with its message (for observers). */
export function toolLists(value: unknown): { message: Record<string, any>; tools: unknown[] }[] {
  const out: { message: Record<string, any>; tools: unknown[] }[] = [];
  for (const m of Array.isArray(value) ? value : [value]) {
    if (!m || typeof m !== 'object' || Array.isArray(m)) continue;
    const tools = (m as any).result?.tools;
    if (Array.isArray(tools)) out.push({ message: m as Record<string, any>, tools });
  }
  return out;
}

/** A parsed JSON body or SSE event: one message or a batch. */
export function filterTools(value: unknown, allowed: ToolAllowed): unknown {
  return Array.isArray(value) ? value.map((m) => filterMessage(m, allowed)) : filterMessage(value, allowed);
}
