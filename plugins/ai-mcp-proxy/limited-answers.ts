/**
 * The gateway's answer to a body with a call over its quota: that call gets a tool result with
 * `isError` (MCP SDKs hand it to the agent as the tool's answer, with the time to wait, rather
 * than failing the transport as an HTTP 429 would), the other requests of a batch a JSON-RPC
 * error; nothing is forwarded, and no call of the body was counted.
 */
import type { RequestContextApi } from '../../data-plane/runtime/plugin-api';
import { JSONRPC_ERRORS, type JsonRpcId } from '../../data-plane/mcp/jsonrpc';
import { observeServerMessage, type McpExchange } from '../../data-plane/mcp/exchange';
import { admitCalls, hasToolAdmissions, type AdmissionRefusal } from '../../data-plane/mcp/guard-chain';
import type { ToolCallOutcome } from '../../data-plane/mcp/server/served-tools';
import type { Era } from '../../data-plane/mcp/protocol-era';
import type { parseJsonRpcBody } from '../../data-plane/mcp/jsonrpc';

type Parsed = Extract<ReturnType<typeof parseJsonRpcBody>, { ok: true }>;

/** Where the retry time travels in a result's `_meta` (besides the text the agent reads). */
export const RETRY_AFTER_META = 'dev.tollgate/retry-after';

export function limitedResult(refusal: AdmissionRefusal, era: Era): Record<string, unknown> {
  return {
    content: [{ type: 'text', text: refusal.message }],
    isError: true,
    ...(era === 'modern' ? { resultType: 'complete' } : {}),
    _meta: { [RETRY_AFTER_META]: refusal.retryAfter },
  };
}

export function answerLimited(
  ctx: RequestContextApi,
  parsed: Parsed,
  era: Era,
  limited: Map<JsonRpcId, AdmissionRefusal>,
  ex: McpExchange | null,
): never {
  const replies = parsed.messages
    .filter((m) => m.kind === 'request')
    .map((m) => {
      const id = (m as { id: JsonRpcId }).id;
      const refusal = limited.get(id);
      return refusal
        ? { jsonrpc: '2.0', id, result: limitedResult(refusal, era) }
        : {
            jsonrpc: '2.0',
            id,
            error: {
              code: JSONRPC_ERRORS.INVALID_REQUEST,
              message: 'batch refused: it contains a tool call over its quota (send the calls one by one)',
            },
          };
    });
  if (ex) for (const r of replies) observeServerMessage(ex, r);
  return ctx.exit(200, JSON.stringify(parsed.batch ? replies : replies[0]), {
    'content-type': 'application/json',
  });
}

/**
 * One call the gateway serves itself (conversion, virtual servers), admitted or answered: the
 * limited result, or a JSON-RPC error when the quota cannot be counted; null: go on.
 */
export async function admitOne(ctx: RequestContextApi, tool: string): Promise<ToolCallOutcome | null> {
  if (!hasToolAdmissions(ctx)) return null;
  try {
    const [refusal] = await admitCalls(ctx, [tool]);
    // The server of the request's era completes the result (2026-07-28: resultType, identity).
    return refusal ? { result: limitedResult(refusal, 'legacy') } : null;
  } catch {
    return {
      error: { code: JSONRPC_ERRORS.INTERNAL_ERROR, message: 'the tool call quota could not be checked' },
    };
  }
}
