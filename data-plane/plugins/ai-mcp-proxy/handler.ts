/**
 * ai-mcp-proxy, mode passthrough-listener: tool-level ACLs in front of an upstream MCP server.
 * A denied tools/call is answered by the gateway (JSON-RPC -32602) and never forwarded;
 * tools/list results (JSON or SSE, every page) carry only the caller's allowed tools.
 */
import { aiMcpProxyPlugin } from '../../../shared/plugins/ai-mcp-proxy';
import { ApplyError, type Entity } from '../../runtime/compiled-config';
import type {
  PluginHandler,
  PluginInstance,
  RequestContextApi,
  ResponseState,
} from '../../runtime/plugin-api';
import { decide, denialMessage, type Acl, type Caller } from '../../mcp/acl';
import { JSONRPC_ERRORS, jsonRpcError, parseJsonRpcBody, type JsonRpcId } from '../../mcp/jsonrpc';
import { sseTransform } from '../../mcp/sse';
import {
  exchangeOf,
  observeServerMessage,
  redact,
  startExchange,
  type McpExchange,
} from '../../mcp/exchange';
import { jsonTap } from '../../mcp/json-tap';

const LIST_IDS = 'ai-mcp-proxy:tools/list ids';

function observeAll(ex: McpExchange | undefined, value: unknown) {
  if (!ex) return;
  for (const m of Array.isArray(value) ? value : [value]) observeServerMessage(ex, m);
}

export const aiMcpProxyHandler: PluginHandler = {
  name: 'ai-mcp-proxy',
  create(entity: Entity): PluginInstance {
    const c = entity.config;
    if (c.mode !== 'passthrough-listener') {
      throw new ApplyError(
        `ai-mcp-proxy mode '${c.mode}' is not supported by this data plane yet (passthrough-listener is)`,
      );
    }
    const toolAcls = new Map<string, Acl | null>();
    for (const t of c.tools ?? []) if (t.name) toolAcls.set(t.name, t.acl ?? null);
    const defaults = (c.default_acl ?? []).filter((d: any) => (d.scope ?? 'tools') === 'tools');
    const defaultAcl: Acl | null = defaults.length
      ? {
          allow: defaults.some((d: any) => d.allow) ? defaults.flatMap((d: any) => d.allow ?? []) : null,
          deny: defaults.flatMap((d: any) => d.deny ?? []),
        }
      : null;
    const logStats = c.logging?.log_statistics === true;
    const logPayloads = c.logging?.log_payloads === true;
    const logAudits = c.logging?.log_audits === true;
    const aclFor = (tool: string) =>
      toolAcls.has(tool) && toolAcls.get(tool) ? toolAcls.get(tool) : defaultAcl;

    const callerOf = (ctx: RequestContextApi): Caller => {
      const consumer = ctx.consumer;
      const id = !consumer
        ? null
        : c.consumer_identifier === 'consumer_id'
          ? consumer.id
          : c.consumer_identifier === 'custom_id'
            ? consumer.custom_id
            : consumer.username;
      return {
        consumer: id ?? null,
        groups: c.include_consumer_groups ? ctx.consumerGroups.map((g) => g.name) : [],
      };
    };

    /** Drop the tools the caller may not call from a tools/list result. */
    const filterResult = (ctx: RequestContextApi, message: any) => {
      if (!message?.result || !Array.isArray(message.result.tools)) return message;
      const caller = callerOf(ctx);
      message.result.tools = message.result.tools.filter(
        (t: any) => t && typeof t.name === 'string' && decide(aclFor(t.name), caller).allowed,
      );
      return message;
    };
    const isListResponse = (ctx: RequestContextApi, message: any) => {
      const ids = ctx.shared[LIST_IDS] as Set<JsonRpcId> | undefined;
      return !!ids && message && 'id' in message && ids.has(message.id);
    };

    return {
      name: 'ai-mcp-proxy',
      priority: aiMcpProxyPlugin.priority,
      entity,
      needsRequestBody: true,
      access(ctx) {
        const ex = startExchange(ctx, {
          sessionId: (ctx.req.headers['mcp-session-id'] as string | undefined) ?? null,
          observeResponses: logStats || logPayloads,
          logPayloads,
        });
        if (ctx.req.method !== 'POST' || !ctx.body?.length) return;
        const parsed = parseJsonRpcBody(ctx.body, c.max_request_body_size);
        if (!parsed.ok) {
          const { code, message, id } = parsed.problem;
          ex.messages.push({ method: null, tool: null, id: id ?? undefined, error: code, detail: null });
          return ctx.exit(400, jsonRpcError(id, code, message), { 'content-type': 'application/json' });
        }
        const caller = callerOf(ctx);
        const denials: { id: JsonRpcId; message: string }[] = [];
        for (const m of parsed.messages) {
          if (m.kind === 'response') continue; // the client answering a server request
          const tool = m.kind === 'request' && m.method === 'tools/call' ? (m.tool ?? null) : null;
          const seen = {
            method: m.method,
            tool,
            id: m.kind === 'request' ? m.id : undefined,
            error: null as number | null,
            detail: logPayloads ? ({ request_payload: redact(m) } as Record<string, unknown>) : null,
          };
          ex.messages.push(seen);
          if (m.kind !== 'request') continue;
          if (m.method === 'tools/call' && m.tool) {
            const d = decide(aclFor(m.tool), caller);
            if (logAudits)
              seen.detail = {
                ...(seen.detail ?? {}),
                audit: {
                  primitive: 'tool',
                  name: m.tool,
                  allowed: d.allowed,
                  consumer: caller.consumer,
                  groups: caller.groups,
                },
              };
            if (!d.allowed) denials.push({ id: m.id, message: denialMessage(m.tool, d) });
          } else if (m.method === 'tools/list') {
            const ids = (ctx.shared[LIST_IDS] as Set<JsonRpcId>) ?? new Set<JsonRpcId>();
            ids.add(m.id);
            ctx.shared[LIST_IDS] = ids;
          }
        }
        if (!denials.length) return;
        // Denied calls never reach the upstream; a batch with one is refused whole.
        const errors = parsed.messages
          .filter((m) => m.kind === 'request')
          .map((m) => {
            const denial = denials.find((d) => d.id === (m as any).id);
            return JSON.parse(
              jsonRpcError(
                (m as any).id,
                denial ? JSONRPC_ERRORS.INVALID_PARAMS : JSONRPC_ERRORS.INVALID_REQUEST,
                denial ? denial.message : 'batch refused: it contains a denied tool call',
              ),
            );
          });
        for (const e of errors) observeServerMessage(ex, e);
        ctx.exit(200, JSON.stringify(parsed.batch ? errors : errors[0]), {
          'content-type': 'application/json',
        });
      },
      headerFilter(ctx, res) {
        if (ctx.shared[LIST_IDS]) delete res.headers['content-length'];
      },
      wantsResponseBody(ctx, res: ResponseState) {
        return (
          !!ctx.shared[LIST_IDS] &&
          res.source === 'upstream' &&
          String(res.headers['content-type'] ?? '').includes('application/json')
        );
      },
      transformBody(ctx, _res, body) {
        let value: any;
        try {
          value = JSON.parse(body.toString('utf8'));
        } catch {
          return body;
        }
        const out = Array.isArray(value)
          ? value.map((m) => (isListResponse(ctx, m) ? filterResult(ctx, m) : m))
          : isListResponse(ctx, value)
            ? filterResult(ctx, value)
            : value;
        observeAll(exchangeOf(ctx), out);
        return Buffer.from(JSON.stringify(out));
      },
      streamFilter(ctx, res) {
        const ex = exchangeOf(ctx);
        const observe = ex?.observeResponses ? ex : undefined;
        const type = String(res.headers['content-type'] ?? '');
        const filtering = !!ctx.shared[LIST_IDS];
        if (type.startsWith('text/event-stream')) {
          if (!filtering && !observe) return null;
          return sseTransform((event) => {
            let message: any;
            try {
              message = JSON.parse(event.data);
            } catch {
              return event;
            }
            if (observe) observeAll(observe, message);
            if (!filtering || !isListResponse(ctx, message)) return event;
            return { ...event, data: JSON.stringify(filterResult(ctx, message)) };
          });
        }
        // JSON answers not otherwise buffered: read along (up to a limit) for the error codes.
        if (observe && type.includes('json')) return jsonTap((value) => observeAll(observe, value));
        return null;
      },
    };
  },
};
