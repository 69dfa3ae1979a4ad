/**
 * The gateway as an MCP server (Streamable HTTP) for tools it serves itself: initialize, ping,
 * tools/list, tools/call and notifications; one message or a batch per POST; answers as JSON or
 * as an SSE stream (when the client's Accept puts text/event-stream first or alone). Sessions are
 * sealed into the session id (session-ids.ts), so every data plane serves every session.
 *
 * Strict as the proxying side (../README.md): the body is parsed by jsonrpc.ts (a message the
 * gateway cannot read is an error, not a guess); unknown methods are -32601; a tools/call is
 * answered only after its tool, its caller and its arguments were judged.
 */
import { JSONRPC_ERRORS, parseJsonRpcBody, type JsonRpcId, type JsonRpcMessage } from '../jsonrpc';
import { formatSseEvent } from '../sse';
import type { HeaderMap, RequestContextApi } from '../../runtime/plugin-api';
import type { SessionSealer } from './session-ids';

export const SERVER_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;
const LATEST = SERVER_PROTOCOL_VERSIONS[0];

export interface ToolCallOutcome {
  result?: unknown;
  error?: { code: number; message: string };
}

/** What the server offers: the caller's tools, and calling one. */
export interface ServedTools {
  list(ctx: RequestContextApi): Record<string, unknown>[];
  call(ctx: RequestContextApi, name: string, args: unknown, id: JsonRpcId): Promise<ToolCallOutcome>;
}

export interface ServerOptions {
  name: string;
  version: string;
  maxBodyBytes: number;
  /** Null: sessions not managed (no Mcp-Session-Id). */
  sessions: SessionSealer | null;
  log?: (line: string) => void;
  /** One analytics entry per message handled (with the reply sent, if any). */
  record(entry: {
    method: string | null;
    tool: string | null;
    error: number | null;
    id?: JsonRpcId;
    reply?: unknown;
  }): void;
}

type Reply = {
  jsonrpc: '2.0';
  id: JsonRpcId | null;
  result?: unknown;
  error?: { code: number; message: string };
};

const JSON_HEADERS = { 'content-type': 'application/json' };
/** Messages per POST (batches, 2025-03-26): tool calls run one after the other. */
const MAX_BATCH = 32;

function errorReply(id: JsonRpcId | null, code: number, message: string): Reply {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

/** SSE when Accept names text/event-stream and not application/json before it. */
function wantsSse(accept: string): boolean {
  const types = accept
    .toLowerCase()
    .split(',')
    .map((t) => t.split(';')[0].trim());
  const sse = types.indexOf('text/event-stream');
  const json = types.indexOf('application/json');
  return sse !== -1 && (json === -1 || sse < json);
}

function acceptable(accept: string | undefined): boolean {
  if (accept === undefined) return true;
  return /(^|,)\s*(application\/json|text\/event-stream|application\/\*|\*\/\*)\s*(;|,|$)/i.test(accept);
}

/** Who a session belongs to: the consumer, else the credential (a token without a consumer). */
function consumerIdOf(ctx: RequestContextApi): string | null {
  return (
    (ctx.consumer?.id as string | undefined) ?? (ctx.credential ? `credential:${ctx.credential.id}` : null)
  );
}

/** Answer one HTTP request to the server; always ends with `ctx.exit`. */
export async function serveMcp(
  ctx: RequestContextApi,
  tools: ServedTools,
  opts: ServerOptions,
): Promise<never> {
  const { req } = ctx;
  const fail = (status: number, code: number, message: string, headers: HeaderMap = {}): never => {
    opts.record({ method: null, tool: null, error: code });
    return ctx.exit(status, JSON.stringify(errorReply(null, code, message)), { ...JSON_HEADERS, ...headers });
  };
  if (req.method === 'GET' || req.method === 'DELETE')
    return fail(
      405,
      -32000,
      req.method === 'GET'
        ? 'Method not allowed: this server sends no stream of its own (POST messages)'
        : `Method not allowed: sessions end by expiry (server.session.session_ttl)`,
      { allow: 'POST' },
    );
  if (req.method !== 'POST') return fail(405, -32000, `Method not allowed: ${req.method}`, { allow: 'POST' });
  const accept = req.headers.accept;
  if (!acceptable(accept))
    return fail(406, -32000, 'Not Acceptable: Accept must allow application/json or text/event-stream');
  const versionHeader = req.headers['mcp-protocol-version'];
  if (
    typeof versionHeader === 'string' &&
    !(SERVER_PROTOCOL_VERSIONS as readonly string[]).includes(versionHeader)
  )
    return fail(400, -32000, `Bad Request: unsupported MCP-Protocol-Version '${versionHeader}'`);

  const parsed = parseJsonRpcBody(ctx.body ?? Buffer.alloc(0), opts.maxBodyBytes);
  if (!parsed.ok) {
    const { id, code, message } = parsed.problem;
    opts.record({ method: null, tool: null, error: code, id: id ?? undefined });
    return ctx.exit(400, JSON.stringify(errorReply(id, code, message)), JSON_HEADERS);
  }
  const { messages } = parsed;
  const initialize = messages.find((m) => m.kind === 'request' && m.method === 'initialize');
  if (initialize && messages.length > 1)
    return fail(400, JSONRPC_ERRORS.INVALID_REQUEST, 'Invalid Request: initialize must be sent alone');
  if (messages.length > MAX_BATCH)
    return fail(
      400,
      JSONRPC_ERRORS.INVALID_REQUEST,
      `Invalid Request: a batch holds at most ${MAX_BATCH} messages`,
    );
  const ids = messages.flatMap((m) => (m.kind === 'request' ? [m.id] : []));
  if (new Set(ids).size !== ids.length)
    return fail(400, JSONRPC_ERRORS.INVALID_REQUEST, 'Invalid Request: two requests of a batch share an id');

  const headers: HeaderMap = {};
  let sessionId = typeof req.headers['mcp-session-id'] === 'string' ? req.headers['mcp-session-id'] : null;
  if (opts.sessions && !initialize) {
    if (!sessionId) return fail(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    const state = opts.sessions.read(sessionId);
    // Expired, sealed by another server or key, or opened by another consumer: not found.
    if (!state || state.consumer !== consumerIdOf(ctx)) return fail(404, -32001, 'Session not found');
    if (typeof versionHeader === 'string' && versionHeader !== state.protocolVersion)
      return fail(
        400,
        -32000,
        `Bad Request: MCP-Protocol-Version '${versionHeader}' is not the session's ('${state.protocolVersion}')`,
      );
    // JSON-RPC batches left the protocol in 2025-06-18.
    if (parsed.batch && state.protocolVersion >= '2025-06-18')
      return fail(
        400,
        JSONRPC_ERRORS.INVALID_REQUEST,
        `Invalid Request: protocol ${state.protocolVersion} has no batches`,
      );
  }
  ctx.analytics.fields.mcp_session_id = sessionId;

  const answer = async (m: JsonRpcMessage): Promise<Reply | null> => {
    if (m.kind !== 'request') {
      // Notifications (initialized, cancelled, …) and answers to requests this server never
      // makes are taken and dropped.
      opts.record({ method: m.kind === 'notification' ? m.method : null, tool: null, error: null });
      return null;
    }
    const params = (m.params && !Array.isArray(m.params) ? m.params : {}) as Record<string, unknown>;
    const done = (reply: Reply, tool: string | null = null): Reply => {
      opts.record({ method: m.method, tool, error: reply.error?.code ?? null, id: m.id, reply });
      return reply;
    };
    switch (m.method) {
      case 'initialize': {
        const asked = params.protocolVersion;
        if (typeof asked !== 'string')
          return done(
            errorReply(m.id, JSONRPC_ERRORS.INVALID_PARAMS, 'Invalid params: protocolVersion is required'),
          );
        const version = (SERVER_PROTOCOL_VERSIONS as readonly string[]).includes(asked) ? asked : LATEST;
        if (opts.sessions) {
          sessionId = opts.sessions.open(version, consumerIdOf(ctx));
          headers['mcp-session-id'] = sessionId;
          ctx.analytics.fields.mcp_session_id = sessionId;
        }
        return done({
          jsonrpc: '2.0',
          id: m.id,
          result: {
            protocolVersion: version,
            capabilities: { tools: { listChanged: false } },
            serverInfo: { name: opts.name, version: opts.version },
          },
        });
      }
      case 'ping':
        return done({ jsonrpc: '2.0', id: m.id, result: {} });
      case 'tools/list':
        if (params.cursor !== undefined)
          return done(errorReply(m.id, JSONRPC_ERRORS.INVALID_PARAMS, 'Invalid params: unknown cursor'));
        return done({ jsonrpc: '2.0', id: m.id, result: { tools: tools.list(ctx) } });
      case 'tools/call': {
        const name = m.tool!;
        const outcome = await tools.call(ctx, name, params.arguments, m.id);
        return done(
          outcome.error
            ? errorReply(m.id, outcome.error.code, outcome.error.message)
            : { jsonrpc: '2.0', id: m.id, result: outcome.result },
          name,
        );
      }
      default:
        return done(errorReply(m.id, JSONRPC_ERRORS.METHOD_NOT_FOUND, `Method not found: ${m.method}`));
    }
  };

  // One after the other: a batch never fans out into many concurrent upstream calls.
  const replies: Reply[] = [];
  for (const m of messages) {
    let reply: Reply | null;
    try {
      reply = await answer(m);
    } catch (err) {
      // One message failing never loses the others' answers.
      opts.log?.(`MCP server: ${(err as Error).stack ?? err}`);
      reply = m.kind === 'request' ? errorReply(m.id, JSONRPC_ERRORS.INTERNAL_ERROR, 'Internal error') : null;
    }
    if (reply) replies.push(reply);
  }
  if (!replies.length) return ctx.exit(202, undefined, headers);
  const payload = JSON.stringify(parsed.batch ? replies : replies[0]);
  if (wantsSse(String(accept ?? '')))
    return ctx.exit(200, formatSseEvent({ event: 'message', data: payload }), {
      ...headers,
      'content-type': 'text/event-stream',
      'cache-control': 'no-store, no-transform',
    });
  return ctx.exit(200, payload, { ...headers, ...JSON_HEADERS });
}
