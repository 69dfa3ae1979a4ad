/**
 * The gateway's own MCP server (conversion modes) in the 2026-07-28 era: stateless — no session,
 * no `initialize` — every request judged by the era's rules (era-rules.ts: `_meta`, the
 * headers against the body, the version) before it is answered; `server/discover`; list
 * results that say they may be cached only privately (the list depends on the caller);
 * `resultType` and the server's identity on every result; `subscriptions/listen` acknowledged
 * (these tools never change within a snapshot: nothing is sent after it) and closed.
 */
import { JSONRPC_ERRORS, type JsonRpcMessage, type ParsedBody } from '../jsonrpc';
import { randomUUID } from 'node:crypto';
import { formatSseEvent } from '../sse';
import { openNotificationStream } from './notification-stream';
import { modernProblem } from '../era-rules';
import { META, SUPPORTED_VERSIONS } from '../protocol-era';
import type { RequestContextApi } from '../../runtime/plugin-api';
import {
  errorReply,
  JSON_HEADERS,
  progressTokenOf,
  sendReplies,
  streamReply,
  takesEventStream,
  type Reply,
} from './replies';
import { listOutcome, type ProgressSink, type ServedTools, type ServerOptions } from './served-tools';

type Request = Extract<JsonRpcMessage, { kind: 'request' }>;

/** Results of this server: complete, with its identity; lists privately cacheable. */
function complete(
  opts: ServerOptions,
  result: Record<string, unknown>,
  list = false,
): Record<string, unknown> {
  const identity = { [META.serverInfo]: { name: opts.name, version: opts.version } };
  const meta = (result._meta as Record<string, unknown> | undefined) ?? {};
  return {
    ...result,
    resultType: 'complete',
    ...(list ? { ttlMs: 0, cacheScope: 'private' } : {}),
    _meta: { ...meta, ...identity },
  };
}

function paramsOf(m: Request): Record<string, unknown> {
  return (m.params && !Array.isArray(m.params) ? m.params : {}) as Record<string, unknown>;
}

/** The reply to one request, and the tool it called. */
async function reply(
  ctx: RequestContextApi,
  tools: ServedTools,
  opts: ServerOptions,
  m: Request,
  progress?: ProgressSink,
): Promise<[Reply, string | null]> {
  const ok = (result: Record<string, unknown>, list = false): Reply => ({
    jsonrpc: '2.0',
    id: m.id,
    result: complete(opts, result, list),
  });
  switch (m.method) {
    case 'server/discover': {
      const capabilities: Record<string, unknown> = { tools: { listChanged: false }, ...tools.capabilities };
      // 2025-11-25's task capability: tasks are an extension in this revision, not offered here.
      delete capabilities.tasks;
      return [ok({ supportedVersions: SUPPORTED_VERSIONS, capabilities }, true), null];
    }
    case 'tools/list': {
      if (paramsOf(m).cursor !== undefined)
        return [errorReply(m.id, JSONRPC_ERRORS.INVALID_PARAMS, 'Invalid params: unknown cursor'), null];
      const listed = await listOutcome(tools, ctx);
      if (listed.error) return [errorReply(m.id, listed.error.code, listed.error.message), null];
      return [ok(listed.result as Record<string, unknown>, true), null];
    }
    case 'tools/call': {
      const outcome = await tools.call(ctx, m.tool!, paramsOf(m).arguments, m.id, { progress });
      if (outcome.error) return [errorReply(m.id, outcome.error.code, outcome.error.message), m.tool!];
      return [ok(outcome.result as Record<string, unknown>), m.tool!];
    }
    default: {
      const other = tools.other?.(ctx, m.method, paramsOf(m));
      if (!other)
        return [errorReply(m.id, JSONRPC_ERRORS.METHOD_NOT_FOUND, `Method not found: ${m.method}`), null];
      const outcome = await other;
      if (outcome.error) return [errorReply(m.id, outcome.error.code, outcome.error.message), null];
      // Lists and reads depend on the caller: private, never cached by others.
      return [ok(outcome.result as Record<string, unknown>, LISTED.has(m.method)), null];
    }
  }
}

/** Methods whose results carry `ttlMs`/`cacheScope`. */
const LISTED = new Set(['prompts/list', 'resources/list', 'resources/templates/list', 'resources/read']);

/** The list changes a listen request may ask for, by the notification that carries each. */
const LIST_CHANGES: Record<string, string> = {
  toolsListChanged: 'notifications/tools/list_changed',
  promptsListChanged: 'notifications/prompts/list_changed',
  resourcesListChanged: 'notifications/resources/list_changed',
};

/**
 * A listen stream. Where the server has streams of its own (a listener's sources), the list
 * changes asked for are acknowledged and passed on as the sources send them, each tagged with
 * the subscription (and its source); the sources' streams are opened for this request alone and
 * closed with it. Otherwise acknowledged with nothing to send, and closed.
 */
async function listen(
  ctx: RequestContextApi,
  tools: ServedTools,
  opts: ServerOptions,
  m: Request,
): Promise<never> {
  const tag = { [META.subscriptionId]: m.id };
  const asked = paramsOf(m).notifications;
  const wanted = Object.keys(LIST_CHANGES).filter(
    (k) => asked && typeof asked === 'object' && (asked as Record<string, unknown>)[k] === true,
  );
  const ackWith = (notifications: Record<string, boolean>) => ({
    jsonrpc: '2.0',
    method: 'notifications/subscriptions/acknowledged',
    params: { notifications, _meta: tag },
  });
  if (tools.listen && wanted.length) {
    const methods = new Set(wanted.map((k) => LIST_CHANGES[k]));
    const key = `listen ${randomUUID()}`;
    const stream = await openNotificationStream(ctx, { listen: tools.listen }, key, {
      shape: (n) => {
        if (!methods.has(n.method as string)) return null;
        const params = (n.params ?? {}) as Record<string, unknown>;
        return { ...n, params: { ...params, _meta: { ...(params._meta as object), ...tag } } };
      },
      first: [ackWith(Object.fromEntries(wanted.map((k) => [k, true])))],
      onEnd: () => void tools.endSession?.(ctx, key).catch(() => undefined),
    });
    if (stream) {
      opts.record({ method: m.method, tool: null, error: null, id: m.id });
      return stream.answer();
    }
  }
  const ack = ackWith({});
  const close = { jsonrpc: '2.0', id: m.id, result: { resultType: 'complete', _meta: tag } };
  opts.record({ method: m.method, tool: null, error: null, id: m.id, reply: close });
  const events = [ack, close]
    .map((e) => formatSseEvent({ event: 'message', data: JSON.stringify(e) }))
    .join('');
  return ctx.exit(200, events, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-store, no-transform',
  });
}

/** Answer one 2026-07-28 POST; always ends with `ctx.exit`. */
export async function serveModern(
  ctx: RequestContextApi,
  tools: ServedTools,
  opts: ServerOptions,
  parsed: Extract<ParsedBody, { ok: true }>,
): Promise<never> {
  const problem = modernProblem(ctx.req, parsed.messages, parsed.batch, (name) => tools.headerParams?.(name));
  const m = parsed.messages[0];
  if (problem) {
    const id = m && m.kind === 'request' ? m.id : null;
    opts.record({
      method: m && m.kind !== 'response' ? m.method : null,
      tool: null,
      error: problem.code,
      id: id ?? undefined,
    });
    const body = { ...errorReply(id, problem.code, problem.message) };
    if (problem.data !== undefined) body.error = { ...body.error!, data: problem.data } as Reply['error'];
    return ctx.exit(problem.status, JSON.stringify(body), JSON_HEADERS);
  }
  ctx.analytics.fields.mcp_session_id = null;
  if (m.kind !== 'request') {
    // A notification (none is defined over HTTP in this revision): taken, nothing to answer.
    opts.record({ method: m.kind === 'notification' ? m.method : null, tool: null, error: null });
    return ctx.exit(202, undefined, {});
  }
  if (m.method === 'subscriptions/listen') return listen(ctx, tools, opts, m);
  // A call that asked for progress, where calls report it: answered as a stream while it runs.
  const token = progressTokenOf(m.params);
  if (m.method === 'tools/call' && token !== null && tools.relaysProgress)
    if (takesEventStream(ctx.req.headers.accept))
      return streamReply(
        ctx,
        {},
        m.id,
        token,
        async (progress) => {
          const [r, tool] = await reply(ctx, tools, opts, m, progress);
          opts.record({ method: m.method, tool, error: r.error?.code ?? null, id: m.id, reply: r });
          return r;
        },
        opts.log,
      );
  let answer: [Reply, string | null];
  try {
    answer = await reply(ctx, tools, opts, m);
  } catch (err) {
    opts.log?.(`MCP server: ${(err as Error).stack ?? err}`);
    answer = [errorReply(m.id, JSONRPC_ERRORS.INTERNAL_ERROR, 'Internal error'), null];
  }
  const [r, tool] = answer;
  opts.record({ method: m.method, tool, error: r.error?.code ?? null, id: m.id, reply: r });
  // An unknown method is 404 on HTTP in this revision.
  if (r.error?.code === JSONRPC_ERRORS.METHOD_NOT_FOUND)
    return ctx.exit(404, JSON.stringify(r), JSON_HEADERS);
  return sendReplies(ctx, [r], false, {});
}
