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
import {
  acceptable,
  errorReply,
  JSON_HEADERS,
  MAX_BATCH,
  progressTokenOf,
  sendReplies,
  streamReply,
  takesEventStream,
  type Reply,
} from './replies';
import { eraOf, speakerOf } from '../protocol-era';
import { serveModern } from './modern-server';
import { openNotificationStream } from './notification-stream';
import type { HeaderMap, RequestContextApi } from '../../runtime/plugin-api';
import type { SessionSealer } from './session-ids';

export const SERVER_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;
const LATEST = SERVER_PROTOCOL_VERSIONS[0];

export type { ServedTools, ServerOptions, ToolCallOutcome } from './served-tools';
import {
  listOutcome,
  type ProgressSink,
  type ServedTools,
  type ServerOptions,
  type ToolCallOutcome,
} from './served-tools';

/** Who a session belongs to: the consumer, else the credential (a token without a consumer). */
function consumerIdOf(ctx: RequestContextApi): string | null {
  return (
    (ctx.consumer?.id as string | undefined) ?? (ctx.credential ? `credential:${ctx.credential.id}` : null)
  );
}

/** A refusal of the request before its body is read: what it is answered, or null. */
interface Refusal {
  status: number;
  code: number;
  message: string;
  headers?: HeaderMap;
}

/** The HTTP request itself: method and Accept (the version is the era's to judge). */
function httpRefusal(ctx: RequestContextApi): Refusal | null {
  const { req } = ctx;
  const allow = { allow: 'POST' };
  if (req.method === 'GET')
    return {
      status: 405,
      code: -32000,
      headers: allow,
      message: 'Method not allowed: this server sends no stream of its own (POST messages)',
    };
  if (req.method === 'DELETE')
    return {
      status: 405,
      code: -32000,
      headers: allow,
      message: 'Method not allowed: sessions end by expiry (server.session.session_ttl)',
    };
  if (req.method !== 'POST')
    return { status: 405, code: -32000, headers: allow, message: `Method not allowed: ${req.method}` };
  if (!acceptable(req.headers.accept))
    return {
      status: 406,
      code: -32000,
      message: 'Not Acceptable: Accept must allow application/json or text/event-stream',
    };
  return null;
}

/** The messages of one POST, together: initialize alone, a bounded batch, distinct ids. */
function batchRefusal(messages: readonly JsonRpcMessage[]): Refusal | null {
  const invalid = (message: string) => ({ status: 400, code: JSONRPC_ERRORS.INVALID_REQUEST, message });
  const initialize = messages.some((m) => m.kind === 'request' && m.method === 'initialize');
  if (initialize && messages.length > 1) return invalid('Invalid Request: initialize must be sent alone');
  if (messages.length > MAX_BATCH)
    return invalid(`Invalid Request: a batch holds at most ${MAX_BATCH} messages`);
  const ids = messages.flatMap((m) => (m.kind === 'request' ? [m.id] : []));
  if (new Set(ids).size !== ids.length)
    return invalid('Invalid Request: two requests of a batch share an id');
  return null;
}

/** A message after initialize must name a live session of this caller, at its version. */
function sessionRefusal(
  ctx: RequestContextApi,
  sessions: SessionSealer,
  sessionId: string | null,
  batch: boolean,
): Refusal | null {
  if (!sessionId)
    return { status: 400, code: -32000, message: 'Bad Request: Mcp-Session-Id header is required' };
  const state = sessions.read(sessionId);
  // Expired, sealed by another server or key, or opened by another consumer: not found.
  if (!state || state.consumer !== consumerIdOf(ctx))
    return { status: 404, code: -32001, message: 'Session not found' };
  const version = ctx.req.headers['mcp-protocol-version'];
  if (typeof version === 'string' && version !== state.protocolVersion)
    return {
      status: 400,
      code: -32000,
      message: `Bad Request: MCP-Protocol-Version '${version}' is not the session's ('${state.protocolVersion}')`,
    };
  // JSON-RPC batches left the protocol in 2025-06-18.
  if (batch && state.protocolVersion >= '2025-06-18')
    return {
      status: 400,
      code: JSONRPC_ERRORS.INVALID_REQUEST,
      message: `Invalid Request: protocol ${state.protocolVersion} has no batches`,
    };
  return null;
}

/** One POST being answered: its session and the headers its answer carries. */
class ServerExchange {
  readonly headers: HeaderMap = {};

  constructor(
    readonly ctx: RequestContextApi,
    readonly tools: ServedTools,
    readonly opts: ServerOptions,
    public sessionId: string | null,
  ) {}

  private initialize(
    m: Extract<JsonRpcMessage, { kind: 'request' }>,
    params: Record<string, unknown>,
  ): Reply {
    const asked = params.protocolVersion;
    if (typeof asked !== 'string')
      return errorReply(m.id, JSONRPC_ERRORS.INVALID_PARAMS, 'Invalid params: protocolVersion is required');
    const version = (SERVER_PROTOCOL_VERSIONS as readonly string[]).includes(asked) ? asked : LATEST;
    if (this.opts.sessions) {
      const opened = this.opts.sessions.open(version, consumerIdOf(this.ctx));
      this.sessionId = opened;
      this.headers['mcp-session-id'] = opened;
      this.ctx.analytics.fields.mcp_session_id = opened;
    }
    return {
      jsonrpc: '2.0',
      id: m.id,
      result: {
        protocolVersion: version,
        capabilities: { tools: { listChanged: false }, ...this.tools.capabilities },
        serverInfo: { name: this.opts.name, version: this.opts.version },
      },
    };
  }

  /** The reply to one request, and the tool it called. */
  private async reply(
    m: Extract<JsonRpcMessage, { kind: 'request' }>,
    progress?: ProgressSink,
  ): Promise<[Reply, string | null]> {
    const params = (m.params && !Array.isArray(m.params) ? m.params : {}) as Record<string, unknown>;
    switch (m.method) {
      case 'initialize':
        return [this.initialize(m, params), null];
      case 'ping':
        return [{ jsonrpc: '2.0', id: m.id, result: {} }, null];
      case 'tools/list':
        if (params.cursor !== undefined)
          return [errorReply(m.id, JSONRPC_ERRORS.INVALID_PARAMS, 'Invalid params: unknown cursor'), null];
        return [replyOf(m.id, await listOutcome(this.tools, this.ctx)), null];
      case 'tools/call': {
        const name = m.tool!;
        const how = { progress, task: taskOf(params.task) };
        return [replyOf(m.id, await this.tools.call(this.ctx, name, params.arguments, m.id, how)), name];
      }
      default: {
        const other = this.tools.other?.(this.ctx, m.method, params);
        if (other) return [replyOf(m.id, await other), null];
        return [errorReply(m.id, JSONRPC_ERRORS.METHOD_NOT_FOUND, `Method not found: ${m.method}`), null];
      }
    }
  }

  /** The reply to one message (null for notifications and responses), recorded. */
  async answer(m: JsonRpcMessage, progress?: ProgressSink): Promise<Reply | null> {
    if (m.kind !== 'request') {
      // Notifications (initialized, cancelled, …) and answers to requests this server never
      // makes are taken and dropped.
      this.opts.record({ method: m.kind === 'notification' ? m.method : null, tool: null, error: null });
      return null;
    }
    const [reply, tool] = await this.reply(m, progress);
    this.opts.record({ method: m.method, tool, error: reply.error?.code ?? null, id: m.id, reply });
    return reply;
  }

  /** Every message in turn: a batch never fans out into many concurrent upstream calls. */
  async answerAll(messages: readonly JsonRpcMessage[]): Promise<Reply[]> {
    const replies: Reply[] = [];
    for (const m of messages) {
      let reply: Reply | null;
      try {
        reply = await this.answer(m);
      } catch (err) {
        // One message failing never loses the others' answers.
        this.opts.log?.(`MCP server: ${(err as Error).stack ?? err}`);
        reply =
          m.kind === 'request' ? errorReply(m.id, JSONRPC_ERRORS.INTERNAL_ERROR, 'Internal error') : null;
      }
      if (reply) replies.push(reply);
    }
    return replies;
  }
}

/** A call's `task` (2025-11-25), as far as it is understood: only a numeric `ttl`. */
function taskOf(task: unknown): { ttl?: number } | undefined {
  if (!task || typeof task !== 'object' || Array.isArray(task)) return undefined;
  const ttl = (task as { ttl?: unknown }).ttl;
  return typeof ttl === 'number' && Number.isFinite(ttl) && ttl >= 0 ? { ttl } : {};
}

/** An outcome as the JSON-RPC reply to request `id`. */
function replyOf(id: JsonRpcId, outcome: ToolCallOutcome): Reply {
  return outcome.error
    ? errorReply(id, outcome.error.code, outcome.error.message)
    : { jsonrpc: '2.0', id, result: outcome.result };
}

/**
 * A 2025 client's DELETE of its session, where what the server keeps for a session (a
 * listener's upstream sessions) can end with it. The sealed id itself lives until it expires:
 * no data plane stores it, so none can revoke it; a later message opens new upstream sessions.
 */
async function endSession(
  ctx: RequestContextApi,
  tools: ServedTools,
  opts: ServerOptions,
  fail: (r: Refusal) => never,
): Promise<never> {
  const id = ctx.req.headers['mcp-session-id'];
  const sessionId = typeof id === 'string' ? id : null;
  const problem = sessionRefusal(ctx, opts.sessions!, sessionId, false);
  if (problem) return fail(problem);
  ctx.analytics.fields.mcp_session_id = sessionId;
  await tools.endSession!(ctx, sessionId!);
  opts.record({ method: null, tool: null, error: null });
  return ctx.exit(200, '', {});
}

/**
 * A 2025 client's GET: its session's stream, where the server has one (a listener's sources'
 * streams in that session, fanned in), else 405 as a server without one answers.
 */
async function getStream(
  ctx: RequestContextApi,
  tools: Required<Pick<ServedTools, 'listen'>>,
  opts: ServerOptions,
  fail: (r: Refusal) => never,
): Promise<never> {
  if (!takesEventStream(ctx.req.headers.accept))
    return fail({
      status: 406,
      code: -32000,
      message: 'Not Acceptable: Accept must allow text/event-stream',
    });
  const id = ctx.req.headers['mcp-session-id'];
  const sessionId = typeof id === 'string' ? id : null;
  const problem = sessionRefusal(ctx, opts.sessions!, sessionId, false);
  if (problem) return fail(problem);
  ctx.analytics.fields.mcp_session_id = sessionId;
  const stream = await openNotificationStream(ctx, tools, sessionId);
  if (!stream)
    return fail({
      status: 405,
      code: -32000,
      headers: { allow: 'POST' },
      message: 'Method not allowed: no source of this server sends a stream',
    });
  opts.record({ method: null, tool: null, error: null });
  return stream.answer();
}

/** Answer one HTTP request to the server; always ends with `ctx.exit`. */
export async function serveMcp(
  ctx: RequestContextApi,
  tools: ServedTools,
  opts: ServerOptions,
): Promise<never> {
  const { req } = ctx;
  const fail = (r: Refusal): never => {
    opts.record({ method: null, tool: null, error: r.code });
    return ctx.exit(r.status, JSON.stringify(errorReply(null, r.code, r.message)), {
      ...JSON_HEADERS,
      ...r.headers,
    });
  };
  if (req.method === 'DELETE' && tools.endSession && opts.sessions) return endSession(ctx, tools, opts, fail);
  if (req.method === 'GET' && tools.listen && opts.sessions)
    return getStream(ctx, { ...tools, listen: tools.listen }, opts, fail);
  const refused = httpRefusal(ctx);
  if (refused) return fail(refused);
  const parsed = parseJsonRpcBody(ctx.body ?? Buffer.alloc(0), opts.maxBodyBytes);
  if (!parsed.ok) {
    const { id, code, message } = parsed.problem;
    opts.record({ method: null, tool: null, error: code, id: id ?? undefined });
    return ctx.exit(400, JSON.stringify(errorReply(id, code, message)), JSON_HEADERS);
  }
  const { messages } = parsed;
  const era = eraOf(req.headers, messages);
  const speaker = speakerOf(req.headers, messages, era);
  ctx.analytics.fields.mcp_protocol_version = speaker.version;
  ctx.analytics.fields.mcp_client = speaker.client;
  if (era === 'modern') return serveModern(ctx, tools, opts, parsed);
  const batchProblem = batchRefusal(messages);
  if (batchProblem) return fail(batchProblem);
  const sessionId = typeof req.headers['mcp-session-id'] === 'string' ? req.headers['mcp-session-id'] : null;
  const initialize = messages.some((m) => m.kind === 'request' && m.method === 'initialize');
  if (opts.sessions && !initialize) {
    const problem = sessionRefusal(ctx, opts.sessions, sessionId, parsed.batch);
    if (problem) return fail(problem);
  }
  ctx.analytics.fields.mcp_session_id = sessionId;

  const exchange = new ServerExchange(ctx, tools, opts, sessionId);
  // A call that asked for progress, where calls report it: answered as a stream while it runs.
  const single = messages.length === 1 && !parsed.batch ? messages[0] : null;
  const token = single?.kind === 'request' ? progressTokenOf(single.params) : null;
  if (single?.kind === 'request' && single.method === 'tools/call' && token !== null)
    if (tools.relaysProgress && takesEventStream(req.headers.accept))
      return streamReply(
        ctx,
        exchange.headers,
        single.id,
        token,
        async (progress) => (await exchange.answer(single, progress))!,
        opts.log,
      );
  const replies = await exchange.answerAll(messages);
  return sendReplies(ctx, replies, parsed.batch, exchange.headers);
}
