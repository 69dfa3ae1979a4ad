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
  type PluginHooks,
  type RequestContextApi,
  type ResponseState,
} from '../../data-plane/runtime/plugin-api';
import { JSONRPC_ERRORS, jsonRpcError } from '../../data-plane/mcp/jsonrpc';
import { sseTransform } from '../../data-plane/mcp/sse';
import { exchangeOf, startExchange, storedDetail, type McpExchange } from '../../data-plane/mcp/exchange';
import { mcpHttpRefusal, mediaType } from '../../data-plane/mcp/http-exchange';
import { PassthroughGuards } from './passthrough-guards';
import { judgeAndAdmit, judgeBody, type JudgedBody } from './passthrough-judge';
import { upstreamMcpHeaders } from '../../data-plane/mcp/era-rules';
import { hasToolAdmissions } from '../../data-plane/mcp/guard-chain';
import { eraOfHeaders } from '../../data-plane/mcp/protocol-era';
import { inspectSseEvent } from '../../data-plane/mcp/response-inspector';
import { MAX_STREAMED_VALUE, jsonValuesTransform } from '../../data-plane/mcp/json-values';
import { MAX_BUFFERED_BODY } from '../../data-plane/proxy/body';
import { isEventStream } from '../../data-plane/proxy/headers';
import { defineSlot } from '../../data-plane/runtime/slots';

/** The request body as judged, to check no later plugin changed it before it is forwarded. */
const JUDGED = defineSlot<Buffer>('ai-mcp-proxy:judged');
const JSON_TYPE = { 'content-type': 'application/json' };

/** The judged body goes upstream, with MCP headers written from it (never the client's). */
function forward(g: PassthroughGuards, ctx: RequestContextApi, judged: JudgedBody) {
  ctx.body = Buffer.from(judged.canonical);
  ctx.headers['content-type'] = 'application/json';
  upstreamMcpHeaders(ctx.headers, judged.era, judged.messages[0], g.headerParams(ctx));
  // A copy: a plugin could change ctx.body in place.
  ctx.slots.set(JUDGED, Buffer.from(ctx.body));
}

function changedAfterJudging(ctx: RequestContextApi): never {
  return ctx.exit(
    500,
    jsonRpcError(null, JSONRPC_ERRORS.INTERNAL_ERROR, 'request changed after it was judged'),
    JSON_TYPE,
  );
}

/** One record per JSON-RPC message seen, all with the MCP session. */
function logMessages(ctx: RequestContextApi, res: ResponseState): void {
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
}

/**
 * A GET (the 2025 stream) or DELETE (the end of a 2025 session) has no 2026-07-28 meaning: with
 * a modern version header and no session it is answered 405, as a modern server answers it;
 * either way no client MCP headers but the version go upstream.
 */
function streamRequest(ctx: RequestContextApi, ex: McpExchange): void {
  if (ctx.req.method === 'OPTIONS') return;
  if (ctx.req.headers['mcp-session-id'] === undefined && eraOfHeaders(ctx.req.headers) === 'modern') {
    ex.era = 'modern';
    ex.messages.push({ method: null, tool: null, error: -32000, detail: null });
    return ctx.exit(
      405,
      jsonRpcError(
        null,
        -32000,
        `Method not allowed: ${ctx.req.method} has no meaning in MCP 2026-07-28 (use POST)`,
      ),
      { ...JSON_TYPE, allow: 'POST' },
    );
  }
  upstreamMcpHeaders(ctx.headers, 'legacy', undefined, () => undefined);
}

/** The request phases: the HTTP exchange and the body judged, and judged again if changed. */
function requestHooks(g: PassthroughGuards): Pick<PluginHooks, 'access' | 'beforeUpstream'> {
  return {
    access(ctx) {
      const ex = startExchange(ctx, {
        sessionId: (ctx.req.headers['mcp-session-id'] as string | undefined) ?? null,
        observeResponses: g.logStats || g.logPayloads,
        logPayloads: g.logPayloads,
      });
      const refusal = mcpHttpRefusal(ctx.req, ctx.body);
      if (refusal) {
        ex.messages.push({ method: null, tool: null, error: -32000, detail: null });
        return ctx.exit(refusal.status, jsonRpcError(null, -32000, refusal.message), {
          ...JSON_TYPE,
          ...refusal.headers,
        });
      }
      if (ctx.req.method !== 'POST') return streamRequest(ctx, ex);
      const body = ctx.body ?? Buffer.alloc(0);
      // Only a route with a quota waits for one (no extra turn for the others).
      if (!hasToolAdmissions(ctx)) return forward(g, ctx, judgeBody(g, ctx, body, ex));
      return judgeAndAdmit(g, ctx, body, ex).then((judged) => forward(g, ctx, judged));
    },
    beforeUpstream(ctx) {
      if (ctx.req.method !== 'POST') {
        // Nothing may have given a GET/DELETE/preflight a body or another method since.
        if (ctx.body?.length || ctx.method !== ctx.req.method) changedAfterJudging(ctx);
        return;
      }
      if (ctx.method !== 'POST') changedAfterJudging(ctx);
      // A later plugin (a body transformer) changed the message: judge what will be sent.
      const judged = ctx.slots.get(JUDGED);
      if (judged === undefined || !ctx.body || !judged.equals(ctx.body))
        forward(g, ctx, judgeBody(g, ctx, ctx.body ?? Buffer.alloc(0), null));
    },
  };
}

/**
 * A 2026-07-28 answer is JSON or an event stream, nothing else: any other type is refused as
 * soon as its headers arrive, never read or held first. (2025 answers keep being read as JSON
 * whatever their label, as servers of that era send them.)
 */
function refuseUnreadableType(ctx: RequestContextApi, res: ResponseState): void {
  const type = mediaType(res.headers['content-type']);
  if (type === 'application/json' || type === 'text/event-stream') return;
  if (res.status === 202 || res.status === 204 || res.headers['content-length'] === '0') return;
  const message = `The upstream answered with Content-Type ${JSON.stringify(type || 'none')}, which a 2026-07-28 response cannot have`;
  ctx.exit(
    res.status >= 400 ? res.status : 502,
    jsonRpcError(null, JSONRPC_ERRORS.INTERNAL_ERROR, message),
    JSON_TYPE,
  );
}

/** A listen stream: long-lived, its values bounded like a stream's rather than a body's. */
function listening(ctx: RequestContextApi): boolean {
  return exchangeOf(ctx)?.messages.some((m) => m.method === 'subscriptions/listen') === true;
}

/**
 * The response phases: one content type, every list filtered; SSE event by event, JSON value by
 * value (one, or several one after another) — each out as soon as it is read, nothing held.
 */
function responseHooks(g: PassthroughGuards): PluginHooks {
  return {
    headerFilter(ctx, res) {
      if (res.source !== 'upstream') return;
      if (exchangeOf(ctx)?.era === 'modern') refuseUnreadableType(ctx, res);
      delete res.headers['content-length'];
      // One content type, the one the body was inspected as (never two for a client to pick from).
      res.headers['content-type'] = isEventStream(res.headers['content-type'])
        ? 'text/event-stream'
        : 'application/json';
    },
    streamFilter(ctx, res) {
      if (res.source !== 'upstream') return null;
      const visit = g.visitor(ctx);
      if (isEventStream(res.headers['content-type']))
        return sseTransform((event) => inspectSseEvent(event, visit), { beatOnly: true });
      return jsonValuesTransform(visit, res, listening(ctx) ? MAX_STREAMED_VALUE : MAX_BUFFERED_BODY);
    },
  };
}

export default defineHandler(aiMcpProxyPlugin, (c, env, entity) => {
  // conversion-only defines tools for listeners and serves nothing: the route stays plain HTTP.
  if (c.mode === 'conversion-only') return {};
  if (c.mode !== 'passthrough-listener') return conversionServer(c, env, entity);
  const g = new PassthroughGuards(c, env);
  return {
    needsRequestBody: true,
    inspectsResponse: true,
    log: logMessages,
    ...requestHooks(g),
    ...responseHooks(g),
  };
});
