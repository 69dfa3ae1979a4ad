/**
 * ai-mcp-proxy. The conversion modes are conversion.ts; here, mode passthrough-listener: tool-level ACLs in front of an upstream MCP server.
 * A denied tools/call is answered by the gateway (JSON-RPC -32602) and never forwarded;
 * every tools/list result (JSON or SSE, every page, any id) carries only the caller's allowed
 * tools. Fail closed (data-plane/mcp/README.md): the HTTP method, the body and every message are
 * judged; what goes upstream is the judged message re-written, what comes back is what was read.
 */
import { aiMcpProxyPlugin } from './schema';
import { conversionServer } from './conversion';
import {
  defineHandler,
  type RequestContextApi,
  type ResponseState,
} from '../../data-plane/runtime/plugin-api';
import { decide, denialMessage, toolAclsOf, type Caller } from './tool-acl';
import { callerResolver } from './caller';
import { JSONRPC_ERRORS, jsonRpcError, parseJsonRpcBody, type JsonRpcId } from '../../data-plane/mcp/jsonrpc';
import { sseTransform } from '../../data-plane/mcp/sse';
import {
  exchangeOf,
  observeServerMessage,
  startExchange,
  storedDetail,
  type McpExchange,
} from '../../data-plane/mcp/exchange';
import { mcpHttpRefusal } from '../../data-plane/mcp/http-exchange';
import { isVisibleAscii, skeleton } from '../../data-plane/mcp/methods';
import { filterTools, refuseMessages, toolLists } from '../../data-plane/mcp/tools-filter';
import { guardChain, toolGatesOf, type GuardChain } from '../../data-plane/mcp/guard-chain';
import { toolInventoryOf } from '../../data-plane/mcp/tool-inventory';
import { mcpMetricsOf } from '../../data-plane/mcp/mcp-metrics';
import { inspectJsonBody, inspectSseEvent } from '../../data-plane/mcp/response-inspector';
import { isEventStream } from '../../data-plane/proxy/headers';
import { defineSlot } from '../../data-plane/runtime/slots';

/** The canonical body this plugin judged (a later plugin changing it gets it judged again). */
/** The request body as judged, to check no later plugin changed it before it is forwarded. */
const JUDGED = defineSlot<Buffer>('ai-mcp-proxy:judged');
const JSON_TYPE = { 'content-type': 'application/json' };

function observeAll(ex: McpExchange | undefined, value: unknown) {
  if (!ex) return;
  for (const m of Array.isArray(value) ? value : [value]) observeServerMessage(ex, m);
}

export default defineHandler(aiMcpProxyPlugin, (c, env, entity) => {
  // conversion-only defines tools for listeners and serves nothing: the route stays plain HTTP.
  if (c.mode === 'conversion-only') return {};
  if (c.mode !== 'passthrough-listener') return conversionServer(c, env, entity);
  const acls = toolAclsOf(c);
  const inventory = toolInventoryOf(env.runtime);
  const metrics = mcpMetricsOf(env.runtime);
  const toolAcls = acls.tools;
  // A lenient upstream would run `Push_Files` as `push_files`: near misses of a configured
  // tool are refused rather than judged by the default ACL.
  const configuredBySkeleton = new Map([...toolAcls.keys()].map((n) => [skeleton(n, true), n]));
  const logStats = c.logging?.log_statistics === true;
  const logPayloads = c.logging?.log_payloads === true;
  const logAudits = c.logging?.log_audits === true;
  const aclFor = acls.aclFor;

  const callerOf: (ctx: RequestContextApi) => Caller = callerResolver(c);

  /** Why this tool name cannot be judged, or null. */
  const toolNameProblem = (tool: string): string | null => {
    if (!isVisibleAscii(tool))
      return `Tool name ${JSON.stringify(tool)} has characters outside visible ASCII`;
    const near = configuredBySkeleton.get(skeleton(tool, true));
    if (near !== undefined && near !== tool)
      return `Tool '${tool}' is not available: tool names are exact (did you mean '${near}'?)`;
    return null;
  };

  /** A tools/list reply is the whole list when it is the first page and has no next one. */
  const wholeList = (ex: McpExchange | undefined, message: Record<string, any>): boolean => {
    if (message.result?.nextCursor !== undefined) return false;
    const asked = ex?.messages.find(
      (m) => m.id !== undefined && m.id === message.id && m.method === 'tools/list',
    );
    return asked !== undefined && !asked.cursor;
  };

  /** The guard chain for this request: the name, the ACLs for its caller, other plugins' gates. */
  const guardsOf = (ctx: RequestContextApi): GuardChain => {
    const caller = callerOf(ctx);
    return guardChain([
      { refusal: 'refused', callRefusal: toolNameProblem, listed: (name) => toolNameProblem(name) === null },
      {
        refusal: 'denied',
        callRefusal(tool) {
          const d = decide(aclFor(tool), caller);
          return d.allowed ? null : denialMessage(tool, d);
        },
        listed: (name) => decide(aclFor(name), caller).allowed,
      },
      ...toolGatesOf(ctx),
    ]);
  };

  /** Filtering and observing what the upstream sends back. */
  const visitor = (ctx: RequestContextApi) => {
    const ex = exchangeOf(ctx);
    const observe = ex?.observeResponses ? ex : undefined;
    const guards = guardsOf(ctx);
    return (value: unknown) => {
      // What the upstream lists, before any filtering: the tools seen upstream, fingerprinted.
      // A list the inventory cannot take is refused, never shown unchecked.
      const refused = new Map<object, string>();
      for (const list of toolLists(value)) {
        const problem = inventory.observe(ctx.route.id, list.tools, wholeList(ex, list.message));
        if (problem) refused.set(list.message, problem);
      }
      const out = filterTools(refused.size ? refuseMessages(value, refused) : value, (name, tool) =>
        guards.listed(name, tool),
      );
      if (observe) observeAll(observe, out);
      return out;
    };
  };

  /**
   * Judge a POST body: parse strictly, refuse what cannot be read, deny what the ACLs deny.
   * Returns the canonical body to forward (the request exits otherwise).
   */
  const judge = (ctx: RequestContextApi, body: Buffer, ex: McpExchange | null): string => {
    const parsed = parseJsonRpcBody(body, c.max_request_body_size);
    if (!parsed.ok) {
      const { code, message, id } = parsed.problem;
      ex?.messages.push({ method: null, tool: null, id: id ?? undefined, error: code, detail: null });
      return ctx.exit(400, jsonRpcError(id, code, message), JSON_TYPE);
    }
    const caller = callerOf(ctx);
    const guards = guardsOf(ctx);
    const denials: { id: JsonRpcId; message: string }[] = [];
    for (const m of parsed.messages) {
      if (m.kind === 'response') continue; // the client answering a server request
      const tool = m.kind === 'request' && m.method === 'tools/call' ? (m.tool ?? null) : null;
      const seen = {
        method: m.method,
        tool,
        id: m.kind === 'request' ? m.id : undefined,
        cursor:
          m.method === 'tools/list' &&
          !!m.params &&
          !Array.isArray(m.params) &&
          m.params.cursor !== undefined,
        error: null as number | null,
        detail: logPayloads ? ({ request_payload: m } as Record<string, unknown>) : null,
      };
      ex?.messages.push(seen);
      if (m.kind !== 'request' || tool === null) continue;
      const verdict = guards.judgeCall(tool);
      if (logAudits)
        seen.detail = {
          ...(seen.detail ?? {}),
          audit: {
            primitive: 'tool',
            name: tool,
            // The name and the ACLs decide access; a held tool is allowed, and awaiting approval.
            allowed: verdict.decision === 'allowed' || verdict.decision === 'held',
            consumer: caller.consumer,
            groups: caller.groups,
          },
        };
      // Counted once per request: the last look (ex null) judges the same calls again.
      if (ex !== null)
        metrics.toolCall(
          ctx.route.name ?? ctx.route.id,
          toolAcls.has(tool) || inventory.knows(ctx.route.id, tool) ? tool : null,
          verdict.decision,
        );
      if (verdict.decision !== 'allowed') denials.push({ id: m.id, message: verdict.message });
    }
    if (!denials.length) return parsed.canonical;
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
    if (ex) for (const e of errors) observeServerMessage(ex, e);
    return ctx.exit(200, JSON.stringify(parsed.batch ? errors : errors[0]), JSON_TYPE);
  };

  const forward = (ctx: RequestContextApi, canonical: string) => {
    ctx.body = Buffer.from(canonical);
    ctx.headers['content-type'] = 'application/json';
    // A copy: a plugin could change ctx.body in place.
    ctx.slots.set(JUDGED, Buffer.from(ctx.body));
  };

  return {
    needsRequestBody: true,
    inspectsResponse: true,
    log(ctx, res) {
      // Analytics: one record per JSON-RPC message seen, all with the MCP session.
      const ex = exchangeOf(ctx);
      if (!ex) return;
      const session = ctx.req.headers['mcp-session-id'] ?? res.headers['mcp-session-id'];
      ctx.analytics.fields.mcp_session_id = typeof session === 'string' ? session : null;
      ctx.analytics.entries = ex.messages.map((m) => ({
        mcp_method: m.method,
        tool: m.tool,
        jsonrpc_error: m.error,
        detail: storedDetail(m.detail),
      }));
    },
    access(ctx) {
      const ex = startExchange(ctx, {
        sessionId: (ctx.req.headers['mcp-session-id'] as string | undefined) ?? null,
        observeResponses: logStats || logPayloads,
        logPayloads,
      });
      const refusal = mcpHttpRefusal(ctx.req, ctx.body);
      if (refusal) {
        ex.messages.push({ method: null, tool: null, error: -32000, detail: null });
        return ctx.exit(refusal.status, jsonRpcError(null, -32000, refusal.message), {
          ...JSON_TYPE,
          ...refusal.headers,
        });
      }
      if (ctx.req.method !== 'POST') return;
      forward(ctx, judge(ctx, ctx.body ?? Buffer.alloc(0), ex));
    },
    beforeUpstream(ctx) {
      if (ctx.req.method !== 'POST') {
        // Nothing may have given a GET/DELETE/preflight a body or another method since.
        if (ctx.body?.length || ctx.method !== ctx.req.method)
          ctx.exit(
            500,
            jsonRpcError(null, JSONRPC_ERRORS.INTERNAL_ERROR, 'request changed after it was judged'),
            JSON_TYPE,
          );
        return;
      }
      const judged = ctx.slots.get(JUDGED);
      if (ctx.method !== 'POST')
        ctx.exit(
          500,
          jsonRpcError(null, JSONRPC_ERRORS.INTERNAL_ERROR, 'request changed after it was judged'),
          JSON_TYPE,
        );
      // A later plugin (a body transformer) changed the message: judge what will be sent.
      if (judged === undefined || !ctx.body || !judged.equals(ctx.body))
        forward(ctx, judge(ctx, ctx.body ?? Buffer.alloc(0), null));
    },
    headerFilter(_ctx, res) {
      if (res.source === 'upstream') {
        delete res.headers['content-length'];
        // One content type, the one the body was inspected as (never two for a client to pick from).
        res.headers['content-type'] = isEventStream(res.headers['content-type'])
          ? 'text/event-stream'
          : 'application/json';
      }
    },
    wantsResponseBody(_ctx, res: ResponseState) {
      return res.source === 'upstream' && !isEventStream(res.headers['content-type']);
    },
    transformBody(ctx, res, body) {
      if (res.source !== 'upstream') return body;
      const out = inspectJsonBody(body, res.status, visitor(ctx));
      res.status = out.status;
      return out.body;
    },
    streamFilter(ctx, res) {
      if (res.source !== 'upstream' || !isEventStream(res.headers['content-type'])) return null;
      const visit = visitor(ctx);
      return sseTransform((event) => inspectSseEvent(event, visit), { beatOnly: true });
    },
  };
});
