/**
 * The listener as an MCP client of one source: a passthrough MCP route it speaks 2025-11-25 to
 * (the revision every server of both eras speaks) through that route's own plugins — ACLs,
 * token swap, transformers, pinning — as a route call (route-caller.ts): the client's identity,
 * never the route's auth plugins. Upstream sessions are opened lazily, one per source and
 * caller partition (and client session, for a 2025 client), kept per process (a second data
 * plane opens its own), and opened again when the source forgets them (404).
 */
import { createParser } from 'eventsource-parser';
import type { Route } from '../../data-plane/runtime/entity';
import type { CompileEnv, HeaderMap, RequestContextApi } from '../../data-plane/runtime/plugin-api';
import { JSONRPC_ERRORS } from '../../data-plane/mcp/jsonrpc';
import { jsonValues } from '../../data-plane/mcp/json-values';
import { TOLLGATE_VERSION } from '../../shared/version';
import { credentialHeadersOf } from '../../data-plane/pdk/auth';
import { notForwardedOnCalls } from '../../data-plane/pdk/url-override';
import type { RouteCall } from '../../data-plane/runtime/route-caller';
import type { ProgressSink } from '../../data-plane/mcp/server/served-tools';
import { progressRelay } from './source-progress';
import { notificationReader, type Notification } from './source-listen';
import { isEventStream } from '../../data-plane/proxy/headers';

/** The revision spoken to sources. */
export const SOURCE_VERSION = '2025-11-25';
/** Upstream sessions a process keeps (least recently used dropped first). */
const MAX_SESSIONS = 10_000;
/** The largest answer read from a source. */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

export interface SourceAnswer {
  /** The JSON-RPC response to the request, when one came. */
  reply?: { result?: unknown; error?: { code: number; message: string; data?: unknown } };
  /** Why there is none (HTTP status, unreadable answer, timeout). */
  failure?: string;
  /** The failure is the caller's (a 4xx: refused for them), not the source's. */
  callers?: boolean;
}

export interface McpSource {
  /** The prefix its names take on collision (Kong: the service name). */
  name: string;
  route: Route;
  /** The upstream path of the route's MCP endpoint. */
  path: string;
  timeoutMs: number;
  /** Client headers passed on (Kong's `server.forward_client_headers`). */
  forwardHeaders: boolean;
}

/** The client's headers a source that takes them gets: never its credential, hops or MCP. */
export function forwardedHeaders(ctx: RequestContextApi): HeaderMap {
  const headers: HeaderMap = {};
  const credentials = credentialHeadersOf(ctx);
  for (const [k, v] of Object.entries(ctx.headers))
    if (!notForwardedOnCalls(k) && !credentials.includes(k)) headers[k] = v;
  return headers;
}

/** Every JSON-RPC message of a buffered answer, JSON or SSE. */
function messagesOf(headers: HeaderMap, body: Buffer): unknown[] | null {
  const type = String(headers['content-type'] ?? '').toLowerCase();
  const text = body.toString('utf8');
  if (!type.startsWith('text/event-stream')) return jsonValues(text, MAX_ANSWER_BYTES)?.flat() ?? null;
  const out: unknown[] = [];
  let bad = false;
  const parser = createParser({
    onEvent(e) {
      if (e.data.trim() === '') return;
      const values = jsonValues(e.data, MAX_ANSWER_BYTES);
      if (values) out.push(...values.flat());
      else bad = true;
    },
  });
  parser.feed(text);
  return bad ? null : out;
}

export class SourceClient {
  private readonly sessions = new Map<string, Promise<string | null>>();
  private nextId = 1;

  constructor(
    readonly source: McpSource,
    private readonly env: CompileEnv,
    /** The source said a list of its changed (`notifications/<kind>/list_changed`). */
    private readonly listChanged: (method: string) => void = () => undefined,
  ) {}

  /** Which upstream sessions a request uses: a 2025 client's session has its own. */
  private keyOf(partition: string, clientSession: string | null): string {
    return clientSession ? `${partition} ${clientSession}` : partition;
  }

  /** One request to the source in the caller's session there (opened if need be). */
  async request(
    ctx: RequestContextApi,
    partition: string,
    method: string,
    params: Record<string, unknown>,
    /** A call made for this client alone (not a list others share): `progress`, and stopped if it leaves. */
    own?: { progress?: ProgressSink },
  ): Promise<SourceAnswer> {
    const progress = own?.progress;
    // A 2025 client's session has its own upstream sessions (what it set there stays its own).
    const client = ctx.req.headers['mcp-session-id'];
    const key = this.keyOf(partition, typeof client === 'string' ? client : null);
    for (let attempt = 0; ; attempt++) {
      let session: string | null;
      const opened = this.session(ctx, key);
      try {
        session = await opened;
      } catch (err) {
        return { failure: (err as Error).message, callers: (err as { callers?: boolean }).callers };
      }
      // Each attempt its own token: progress of an abandoned attempt is never relayed.
      const relay = progress && progressRelay(params, progress);
      const message = { jsonrpc: '2.0', id: this.nextId++, method, params: relay?.params ?? params };
      const res = await this.send(ctx, session, 'POST', message, relay?.observe, own !== undefined);
      // The source forgot the session (restarted, expired): a new one, once.
      if (res.status === 404 && session && attempt === 0) {
        // Only the session this request used: another may have opened a new one meanwhile.
        if (this.sessions.get(key) === opened) this.sessions.delete(key);
        continue;
      }
      return this.answerOf(res);
    }
  }

  /**
   * The source's own stream (GET) in the upstream session of this caller and client session:
   * each notification to `onMessage` as it arrives, until `signal` aborts or the source ends it.
   * `opened`: whether the source offers one (a 200 event stream).
   */
  listenOnce(
    ctx: RequestContextApi,
    partition: string,
    clientSession: string | null,
    onMessage: (m: Notification) => void,
    signal: AbortSignal,
  ): { opened: Promise<boolean>; ended: Promise<void> } {
    let open!: (yes: boolean) => void;
    const opened = new Promise<boolean>((resolve) => (open = resolve));
    const stop = new AbortController();
    const abort = () => stop.abort();
    signal.addEventListener('abort', abort);
    const ended = (async () => {
      let session: string | null;
      try {
        session = await this.session(ctx, this.keyOf(partition, clientSession));
      } catch {
        return;
      }
      if (stop.signal.aborted) return;
      let streaming = false;
      const read = notificationReader((m) => {
        if (m.method.endsWith('/list_changed')) this.listChanged(m.method);
        onMessage(m);
      }, abort);
      const headers = this.headersFor(ctx, session, false);
      headers['accept'] = 'text/event-stream';
      await this.env.routeCaller.call({
        from: ctx,
        route: this.source.route,
        method: 'GET',
        path: this.source.path,
        query: new URLSearchParams(),
        headers,
        body: null,
        // The route's service timeouts (Kong's read_timeout) bound a quiet stream, as for any.
        timeoutMs: 2 ** 31 - 1,
        signal: stop.signal,
        plugins: { skip: () => false },
        onHead: (head) => {
          streaming = head.status === 200 && isEventStream(head.headers['content-type']);
          open(streaming);
        },
        onBodyChunk: (chunk) => streaming && read(chunk),
        discardBody: true,
      });
    })().finally(() => {
      open(false);
      signal.removeEventListener('abort', abort);
    });
    return { opened, ended };
  }

  /**
   * The client ended its session: the upstream session it had here is ended too (DELETE, as a
   * client would), whatever the source answers. A later request of that client opens another.
   */
  async close(ctx: RequestContextApi, partition: string, clientSession: string): Promise<void> {
    const key = this.keyOf(partition, clientSession);
    const opened = this.sessions.get(key);
    if (!opened) return;
    this.sessions.delete(key);
    const session = await opened.catch(() => null);
    if (session) await this.send(ctx, session, 'DELETE', null).catch(() => undefined);
  }

  /**
   * The session for a key: opened once, shared by concurrent requests; the least recently used
   * is forgotten first (the source expires it).
   */
  private session(ctx: RequestContextApi, key: string): Promise<string | null> {
    let s = this.sessions.get(key);
    if (s) {
      this.sessions.delete(key);
      this.sessions.set(key, s);
      return s;
    }
    s = this.open(ctx);
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(key, s);
    // A failed opening is not kept: the next request tries again.
    s.catch(() => this.sessions.get(key) === s && this.sessions.delete(key));
    return s;
  }

  private async open(ctx: RequestContextApi): Promise<string | null> {
    const init = await this.send(ctx, null, 'POST', {
      jsonrpc: '2.0',
      id: this.nextId++,
      method: 'initialize',
      params: {
        protocolVersion: SOURCE_VERSION,
        capabilities: {},
        clientInfo: { name: 'tollgate-listener', version: TOLLGATE_VERSION },
      },
    });
    const answer = this.answerOf(init);
    if (!answer.reply?.result)
      throw Object.assign(
        new Error(answer.failure ?? `initialize refused: ${answer.reply?.error?.message}`),
        {
          callers: answer.callers,
        },
      );
    const id = init.headers['mcp-session-id'];
    const session = typeof id === 'string' && id ? id : null;
    await this.send(ctx, session, 'POST', { jsonrpc: '2.0', method: 'notifications/initialized' });
    return session;
  }

  private headersFor(ctx: RequestContextApi, session: string | null, framed: boolean): HeaderMap {
    const headers: HeaderMap = this.source.forwardHeaders ? forwardedHeaders(ctx) : {};
    if (framed) headers['content-type'] = 'application/json';
    headers['accept'] = 'application/json, text/event-stream';
    headers['mcp-protocol-version'] = SOURCE_VERSION;
    if (session) headers['mcp-session-id'] = session;
    return headers;
  }

  private async send(
    ctx: RequestContextApi,
    session: string | null,
    method: 'POST' | 'DELETE',
    message: Record<string, unknown> | null,
    onBodyChunk?: RouteCall['onBodyChunk'],
    cancelOnLeave = false,
  ) {
    const timeoutMs = this.source.timeoutMs;
    // Stopped at its deadline and, for a call made for this client alone, when the client leaves.
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), timeoutMs);
    const left = () => stop.abort();
    if (cancelOnLeave) ctx.clientLeft.once('abort', left);
    const res = await this.env.routeCaller
      .call({
        from: ctx,
        route: this.source.route,
        method,
        path: this.source.path,
        query: new URLSearchParams(),
        headers: this.headersFor(ctx, session, message !== null),
        body: message && Buffer.from(JSON.stringify(message)),
        timeoutMs,
        signal: stop.signal,
        plugins: { skip: () => false },
        maxResponseBytes: MAX_ANSWER_BYTES,
        onBodyChunk,
      })
      .finally(() => {
        clearTimeout(timer);
        ctx.clientLeft.off('abort', left);
      });
    return { ...res, id: message?.id };
  }

  private answerOf(res: { status: number; headers: HeaderMap; body: Buffer; id?: unknown }): SourceAnswer {
    const messages = messagesOf(res.headers, res.body);
    for (const m of messages ?? [])
      if (m && typeof m === 'object' && !('id' in m)) {
        const method = (m as { method?: unknown }).method;
        if (typeof method === 'string' && method.endsWith('/list_changed')) this.listChanged(method);
      }
    const reply = messages?.find(
      (m): m is NonNullable<SourceAnswer['reply']> =>
        !!m && typeof m === 'object' && (m as { id?: unknown }).id === res.id && !('method' in m),
    );
    if (reply && (reply.result !== undefined || typeof reply.error?.code === 'number')) return { reply };
    if (res.status >= 400)
      return { failure: `the source answered HTTP ${res.status}`, callers: res.status < 500 };
    return { failure: 'the source sent no answer the gateway could read' };
  }
}

/** A source's failure as the JSON-RPC error a client gets for a call. */
export function sourceFailure(source: McpSource, failure: string) {
  return { code: JSONRPC_ERRORS.INTERNAL_ERROR, message: `MCP source '${source.name}' failed: ${failure}` };
}
