/**
 * A listener's passthrough sources: every `passthrough-listener` route whose ai-mcp-proxy plugin
 * carries the listener's `server.tag` (Kong: the listener binds the plugins tagged with it). The
 * listener lists each source's tools (prompts, resources, templates) for the caller — through the source route's own plugins,
 * so its ACLs filter and its credentials apply — and serves them under one name space.
 *
 * Names: virtual-names.ts.
 */
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { fannedIn, type Notification } from './source-listen';
import type { RequestContextApi } from '../../data-plane/runtime/plugin-api';
import type { CallOptions, ProgressSink, ToolCallOutcome } from '../../data-plane/mcp/server/served-tools';
import { TaskHandles } from './source-tasks';
import { forwardedHeaders, SourceClient, sourceFailure, type McpSource } from './source-client';
import { tokenClaimsOf } from '../../data-plane/pdk/auth';
import { JSONRPC_ERRORS } from '../../data-plane/mcp/jsonrpc';
import {
  KINDS,
  nameItems,
  type Item,
  type Kind,
  type PrefixRule,
  type VirtualListing,
} from './virtual-names';

export type FailureMode = 'omit' | 'fail';

export interface SourceSettings extends McpSource {
  /** How long a caller's list of this source is reused (Kong's `tools_cache_ttl_seconds`). */
  ttlMs: number;
  failureMode: FailureMode;
  preserveNames: boolean;
}

/** The `_meta` key a listener reports sources and names it left out under. */
export const OMITTED_META = 'io.tollgate/omitted';

/** How many pages of one source's list are followed. */
const MAX_PAGES = 20;
/** Cached lists per source (partitions; the oldest dropped first). */
const MAX_CACHED = 5_000;

/** Headers that differ on every request (tracing, request ids): never part of a partition. */
const PER_REQUEST =
  /^(traceparent|tracestate|baggage|x-request-id|x-correlation-id|x-b3-.*|b3|x-tollgate-.*|x-amzn-trace-id)$/;

interface SourceList {
  items: Item[];
  at: number;
}

/** A list could not be made (a source whose failure_mode is `fail` failed). */
export class SourceListFailed extends Error {}

/**
 * How long a source that failed a caller's list is left out without being asked again (a dead
 * or blackholed source would otherwise cost every list its whole timeout).
 */
const FAILURE_BACKOFF_MS = 5_000;
/** How soon a source's stream that ended is opened again. */
const RELISTEN_MS = 1_000;

class Source {
  readonly client: SourceClient;
  private readonly cache = new Map<string, SourceList>();
  /** Lists being fetched: concurrent callers of one partition share the fetch. */
  private readonly inflight = new Map<string, Promise<Item[]>>();
  private readonly failed = new Map<string, { at: number; reason: string }>();

  constructor(
    readonly settings: SourceSettings,
    env: ConstructorParameters<typeof SourceClient>[1],
  ) {
    this.client = new SourceClient(settings, env, (method) => this.forget(method));
  }

  /**
   * A list-change notification of the source (on any answer's stream): every caller's cached
   * list of that kind is dropped, the next list asks again.
   */
  private forget(method: string): void {
    const kind = (Object.keys(KINDS) as Kind[]).find(
      (k) => method === `notifications/${k === 'templates' ? 'resources' : k}/list_changed`,
    );
    if (!kind) return;
    // A resources change may be its templates too.
    const kinds: Kind[] = kind === 'resources' ? ['resources', 'templates'] : [kind];
    for (const key of [...this.cache.keys()])
      if (kinds.some((k) => key.startsWith(`${k} `))) this.cache.delete(key);
  }

  /**
   * The caller's whole list of one kind of this source (every page), cached for the TTL. A
   * source that has no such list (-32601) lists nothing.
   */
  list(ctx: RequestContextApi, partition: string, kind: Kind): Promise<Item[]> {
    const key = `${kind} ${partition}`;
    const hit = this.cache.get(key);
    const now = performance.now();
    if (hit && now - hit.at < this.settings.ttlMs) return Promise.resolve(hit.items);
    const failure = this.failed.get(key);
    if (failure && now - failure.at < FAILURE_BACKOFF_MS)
      return Promise.reject(
        new Error(`${failure.reason} (not asked again for ${FAILURE_BACKOFF_MS / 1000} s)`),
      );
    let fetching = this.inflight.get(key);
    if (!fetching) {
      fetching = this.fetch(ctx, partition, kind, key).then(
        (items) => {
          this.failed.delete(key);
          return items;
        },
        (err: Error & { callers?: boolean }) => {
          // Refused for this caller (a 4xx): not the source's failure, asked again next time.
          if (!err.callers) {
            if (this.failed.size >= MAX_CACHED) this.failed.delete(this.failed.keys().next().value!);
            this.failed.set(key, { at: performance.now(), reason: err.message });
          }
          throw err;
        },
      );
      this.inflight.set(key, fetching);
      void fetching.then(
        () => this.inflight.delete(key),
        () => this.inflight.delete(key),
      );
    }
    return fetching;
  }

  private async fetch(ctx: RequestContextApi, partition: string, kind: Kind, key: string): Promise<Item[]> {
    const { list, field, key: id } = KINDS[kind];
    const items: Item[] = [];
    let cursor: unknown;
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await this.client.request(ctx, partition, list, cursor === undefined ? {} : { cursor });
      if (answer.failure) throw Object.assign(new Error(answer.failure), { callers: answer.callers });
      if (answer.reply?.error?.code === JSONRPC_ERRORS.METHOD_NOT_FOUND && kind !== 'tools') break;
      if (answer.reply?.error) throw new Error(`${list}: ${answer.reply.error.message}`);
      const result = answer.reply!.result as Record<string, unknown> | undefined;
      const got = result?.[field];
      if (!Array.isArray(got)) throw new Error(`${list}: no ${field} in the result`);
      for (const t of got)
        if (t && typeof t === 'object' && typeof (t as Item)[id] === 'string') items.push(t as Item);
      cursor = result?.nextCursor;
      if (typeof cursor !== 'string' || !cursor) {
        cursor = undefined;
        break;
      }
    }
    // A list cut short is not the list: never served as whole.
    if (cursor !== undefined) throw new Error(`${list}: more than ${MAX_PAGES} pages`);
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { items, at: performance.now() });
    return items;
  }

  /** The caller's last whole list (whatever its age): the names it reserves while failing. */
  stale(partition: string, kind: Kind): Item[] | undefined {
    return this.cache.get(`${kind} ${partition}`)?.items;
  }
}

/** The longest URI matched against templates (a client's text: matching stays cheap). */
const MAX_URI = 8 * 1024;

type TemplatePart = { literal: string } | { anyText: boolean };

function templateParts(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of template.matchAll(/\{([^}]*)\}/g)) {
    if (m.index! > last) parts.push({ literal: template.slice(last, m.index) });
    // A reserved, fragment, path, query or label expansion may hold `/`; a simple one may not.
    parts.push({ anyText: /^[+#/?&;.]/.test(m[1]) });
    last = m.index! + m[0].length;
  }
  if (last < template.length) parts.push({ literal: template.slice(last) });
  return parts;
}

/**
 * Whether a URI fits an RFC 6570 template: literal parts exactly, each expression any text
 * without `/` (a reserved or path expansion — `{+x}`, `{/x}`, `{#x}` — any text). Matched by
 * the set of positions each part can end at (parts × URI length), never by a backtracking
 * regex a crafted URI could make exponential.
 */
export function templateMatches(template: string, uri: string): boolean {
  if (uri.length > MAX_URI) return false;
  let at = new Uint8Array(uri.length + 1);
  at[0] = 1;
  for (const part of templateParts(template)) {
    const next = new Uint8Array(uri.length + 1);
    if ('literal' in part) {
      for (let i = 0; i <= uri.length; i++)
        if (at[i] && uri.startsWith(part.literal, i)) next[i + part.literal.length] = 1;
    } else {
      // From each reachable position, every end up to the first `/` (or the end, for any text).
      let open = false;
      for (let i = 0; i <= uri.length; i++) {
        if (at[i]) open = true;
        if (open) next[i] = 1;
        if (!part.anyText && uri.charCodeAt(i) === 0x2f) open = false;
      }
    }
    at = next;
  }
  return at[uri.length] === 1;
}

/** Up to `limit` of `jobs` at a time, every outcome kept. */
async function bounded<T>(jobs: (() => Promise<T>)[], limit: number): Promise<PromiseSettledResult<T>[]> {
  const out: PromiseSettledResult<T>[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      try {
        out[i] = { status: 'fulfilled', value: await jobs[i]() };
      } catch (reason) {
        out[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return out;
}

export class VirtualTools {
  private readonly sources: Source[];

  constructor(
    settings: SourceSettings[],
    env: ConstructorParameters<typeof SourceClient>[1],
    private readonly prefix: PrefixRule,
    private readonly concurrency: number,
    /** Null: tasks are not run through this listener (no session secrets to seal handles). */
    private readonly tasks: TaskHandles | null = null,
  ) {
    this.sources = settings.map((s) => new Source(s, env));
  }

  get empty(): boolean {
    return this.sources.length === 0;
  }

  /**
   * Who the sources see: the caller's identity (consumer, credential, groups, token claims) and,
   * for sources that take the client's headers, those headers. Lists and upstream sessions are
   * never shared across partitions.
   */
  partitionOf(ctx: RequestContextApi): string {
    const h = createHash('sha256');
    h.update(
      JSON.stringify([
        ctx.consumer?.id ?? null,
        ctx.credential?.id ?? null,
        ctx.authenticated,
        ctx.anonymous,
        (ctx.consumerGroups ?? []).map((g) => g.id),
        tokenClaimsOf(ctx) ?? null,
      ]),
    );
    // Exactly what a source that takes the client's headers gets (what it answers may depend on
    // any of them), but for those that differ on every request by design.
    if (this.sources.some((s) => s.settings.forwardHeaders)) {
      const headers = forwardedHeaders(ctx);
      for (const name of Object.keys(headers).sort())
        if (!PER_REQUEST.test(name)) h.update(JSON.stringify([name, headers[name]]));
    }
    return h.digest('base64url');
  }

  /** Every source's items of a kind for this caller, named; `reserved`: names served otherwise. */
  list(ctx: RequestContextApi, kind: Kind, reserved: readonly string[] = []): Promise<VirtualListing> {
    return this.listIn(ctx, this.partitionOf(ctx), kind, reserved);
  }

  private async listIn(
    ctx: RequestContextApi,
    partition: string,
    kind: Kind,
    reserved: readonly string[] = [],
  ): Promise<VirtualListing> {
    const settled = await bounded(
      this.sources.map((s) => () => s.list(ctx, partition, kind)),
      this.concurrency,
    );
    const omitted: VirtualListing['omitted'] = [];
    const lists: { source: number; items: Item[] }[] = [];
    const absent: { source: number; items: Item[] }[] = [];
    settled.forEach((r, i) => {
      const s = this.sources[i].settings;
      if (r.status === 'fulfilled') return lists.push({ source: i, items: r.value });
      const reason = (r.reason as Error).message;
      if (s.failureMode === 'fail') throw new SourceListFailed(`MCP source '${s.name}' failed: ${reason}`);
      omitted.push({ source: s.name, reason });
      // Its last list still holds its names: a name cannot move to another source while it fails.
      const stale = this.sources[i].stale(partition, kind);
      if (stale) absent.push({ source: i, items: stale });
    });
    const names = this.sources.map((x) => x.settings);
    const named = nameItems(kind, names, this.prefix, lists, reserved, absent);
    return { items: named.items, routes: named.routes, omitted: [...omitted, ...named.omitted] };
  }

  /** A request to the source serving `at`, answered as the source answered. */
  private async ask(
    ctx: RequestContextApi,
    partition: string,
    at: { source: number },
    method: string,
    params: Record<string, unknown>,
    progress?: ProgressSink,
  ): Promise<ToolCallOutcome & { source: string }> {
    const source = this.sources[at.source];
    const answer = await source.client.request(ctx, partition, method, params, { progress });
    const from = source.settings.name;
    if (answer.failure) return { error: sourceFailure(source.settings, answer.failure), source: from };
    if (answer.reply?.error) return { error: answer.reply.error, source: from };
    return { result: answer.reply!.result, source: from };
  }

  /** `prompts/get` by public name. */
  async getPrompt(ctx: RequestContextApi, params: Record<string, unknown>) {
    const name = params.name;
    if (typeof name !== 'string') return null;
    const partition = this.partitionOf(ctx);
    const at = (await this.listIn(ctx, partition, 'prompts')).routes.get(name);
    return at ? this.ask(ctx, partition, at, 'prompts/get', { ...params, name: at.name }) : null;
  }

  /**
   * `resources/read`: a listed URI goes to the source that listed it; another to the one source
   * whose template matches it (none, or two: not found).
   */
  async readResource(ctx: RequestContextApi, params: Record<string, unknown>) {
    const uri = params.uri;
    if (typeof uri !== 'string') return null;
    const partition = this.partitionOf(ctx);
    const listing = await this.listIn(ctx, partition, 'resources');
    let at = listing.routes.get(uri);
    // A URI two sources list is served by nobody: no template lends it to either.
    const collided = listing.omitted.some((o) => o.resources === uri);
    if (!at && !collided) {
      const templates = (await this.listIn(ctx, partition, 'templates')).routes;
      const matching = [...templates].filter(([t]) => templateMatches(t, uri));
      if (new Set(matching.map(([, a]) => a.source)).size === 1) at = matching[0][1];
    }
    return at ? this.ask(ctx, partition, at, 'resources/read', params) : null;
  }

  /** A call by its public name, through its source's route (which judges it again). */
  async call(
    ctx: RequestContextApi,
    name: string,
    args: unknown,
    reserved: readonly string[],
    how: CallOptions = {},
  ) {
    const partition = this.partitionOf(ctx);
    const at = (await this.listIn(ctx, partition, 'tools', reserved)).routes.get(name);
    if (!at) return null;
    const params: Record<string, unknown> = { name: at.name };
    if (args !== undefined) params.arguments = args;
    // A task only where its handle can be sealed (the listener manages sessions).
    if (how.task && this.tasks) params.task = how.task;
    const outcome = await this.ask(ctx, partition, at, 'tools/call', params, how.progress);
    if (outcome.result !== undefined && this.tasks) {
      const source = this.sources[at.source].settings.name;
      const result = TaskHandles.rewrite(outcome.result, this.tasks.sealing(source, partition));
      if (result === null)
        return { error: sourceFailure(this.sources[at.source].settings, 'an unreadable task'), source };
      outcome.result = result;
    }
    return outcome;
  }

  /** The client ended its session: so do its upstream sessions, at every source. */
  async close(ctx: RequestContextApi, clientSession: string): Promise<void> {
    const partition = this.partitionOf(ctx);
    await bounded(
      this.sources.map((s) => () => s.client.close(ctx, partition, clientSession)),
      this.concurrency,
    );
  }

  /**
   * Every source's own stream for this caller and client session, fanned in: each notification
   * the listener passes on, its source named (source-listen.ts). A stream that ends after it
   * opened is opened again (a quiet one ends at its service's read timeout); one that does not
   * open is left. `opened`: whether any source offers a stream.
   */
  listen(
    ctx: RequestContextApi,
    clientSession: string | null,
    send: (message: Record<string, unknown>) => void,
    signal: AbortSignal,
  ): { opened: Promise<boolean>; ended: Promise<void> } {
    const partition = this.partitionOf(ctx);
    let open!: (yes: boolean) => void;
    const opened = new Promise<boolean>((resolve) => (open = resolve));
    let unopened = this.sources.length;
    const follow = async (source: Source) => {
      for (let first = true; !signal.aborted; first = false) {
        const pass = (m: Notification) => {
          const out = fannedIn(source.settings.name, m);
          if (out) send(out);
        };
        const stream = source.client.listenOnce(ctx, partition, clientSession, pass, signal);
        const ok = await stream.opened;
        if (first && ok) open(true);
        if (first && !ok && --unopened === 0) open(false);
        await stream.ended;
        if (!ok) return;
        await delay(RELISTEN_MS, undefined, { signal }).catch(() => undefined);
      }
    };
    if (!this.sources.length) open(false);
    const ended = Promise.all(this.sources.map(follow)).then(() => open(false));
    return { opened, ended };
  }

  /**
   * `tasks/get`, `tasks/result`, `tasks/cancel` by handle: to the source the handle names, for
   * the caller it names, and the answer's task ids as handles again (source-tasks.ts).
   */
  async task(
    ctx: RequestContextApi,
    method: string,
    params: Record<string, unknown>,
  ): Promise<ToolCallOutcome & { source?: string }> {
    const partition = this.partitionOf(ctx);
    const at = this.tasks?.read(params.taskId, partition);
    const index = at ? this.sources.findIndex((s) => s.settings.name === at.source) : -1;
    if (!at || index < 0)
      return { error: { code: JSONRPC_ERRORS.INVALID_PARAMS, message: 'Task not found' } };
    const outcome = await this.ask(ctx, partition, { source: index }, method, { taskId: at.taskId });
    if (outcome.result === undefined) return outcome;
    const result = TaskHandles.rewrite(outcome.result, TaskHandles.asked(at.taskId, params.taskId as string));
    if (result === null)
      return {
        error: sourceFailure(this.sources[index].settings, 'it answered for another task'),
        source: at.source,
      };
    return { result, source: at.source };
  }
}
