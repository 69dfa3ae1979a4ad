/**
 * tools/list filtering that does not depend on matching ids: every `result.tools` array of every
 * JSON-RPC response the upstream sends on an MCP route (single, batch, JSON or SSE, POST reply
 * or GET stream, replays included) keeps only the caller's allowed tools. A `result.tools` that
 * is not an array, or that lists a name twice, cannot be judged, so that message becomes an error.
 * A filtered list is marked `cacheScope: "private"`.
 */
import { JSONRPC_ERRORS } from './jsonrpc';

/** Given the listed tool's name and the tool itself (an object with a string name). */
export type ToolAllowed = (name: string, tool: Record<string, unknown>) => boolean;

/**
 * A name listed twice: which of the two a call runs is the upstream's choice (a lenient server
 * keeps the last), so neither can be judged.
 */
export function duplicateToolName(tools: unknown[]): string | null {
  const names = new Set<string>();
  for (const t of tools) {
    const name = t && typeof t === 'object' ? (t as any).name : undefined;
    if (typeof name !== 'string') continue;
    if (names.has(name)) return name;
    names.add(name);
  }
  return null;
}

const unreadable = (id: unknown, message: string) => ({
  jsonrpc: '2.0',
  id: id ?? null,
  error: { code: JSONRPC_ERRORS.INTERNAL_ERROR, message },
});

/**
 * A list the gateway filtered depends on who asked: a shared cache must never serve it to
 * another caller (2026-07-28 caching: `cacheScope: "private"`, `ttlMs` kept).
 */
function privately(result: Record<string, any>, always: boolean): Record<string, any> {
  return always || 'cacheScope' in result || 'ttlMs' in result
    ? { ...result, cacheScope: 'private' }
    : result;
}

function filterMessage(message: unknown, allowed: ToolAllowed, modern: boolean): unknown {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return message;
  const m = message as Record<string, any>;
  const result = m.result;
  if (!result || typeof result !== 'object' || !Object.prototype.hasOwnProperty.call(result, 'tools'))
    return message;
  if (!Array.isArray(result.tools))
    return unreadable(m.id, 'The upstream sent a tool list the gateway cannot read');
  const twice = duplicateToolName(result.tools);
  if (twice !== null)
    return unreadable(
      m.id,
      `The upstream listed tool ${JSON.stringify(twice)} twice; the gateway cannot tell them apart`,
    );
  return {
    ...m,
    result: {
      ...privately(result, modern),
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
    // A list that becomes an error (a name listed twice) was never shown: nothing to observe.
    if (Array.isArray(tools) && duplicateToolName(tools) === null)
      out.push({ message: m as Record<string, any>, tools });
  }
  return out;
}

/**
 * A parsed JSON body or SSE event: one message or a batch. `modern`: the exchange is 2026-07-28,
 * where every list result says how it may be cached (a filtered one: privately).
 */
export function filterTools(value: unknown, allowed: ToolAllowed, modern = false): unknown {
  return Array.isArray(value)
    ? value.map((m) => filterMessage(m, allowed, modern))
    : filterMessage(value, allowed, modern);
}

/** `value` with each message of `refused` replaced by a JSON-RPC error saying why. */
export function refuseMessages(value: unknown, refused: Map<object, string>): unknown {
  const one = (m: unknown) =>
    m && typeof m === 'object' && refused.has(m) ? unreadable((m as any).id, refused.get(m)!) : m;
  return Array.isArray(value) ? value.map(one) : one(value);
}
