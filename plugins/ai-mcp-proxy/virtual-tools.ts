/**
 * A listener's passthrough sources: every `passthrough-listener` route whose ai-mcp-proxy plugin
 * carries the listener's `server.tag` (Kong: the listener binds the plugins tagged with it). The
 * listener lists each source's tools for the caller — through the source route's own plugins,
 * so its ACLs filter and its credentials apply — and serves them under one name space.
 *
 * Names (the rule, written down): a source's tool keeps its name unless another source (or a
 * converted tool) serves a name that a lenient matcher would take for it (case, `-`/`_`/`.`,
 * invisible characters: `skeleton`), then it becomes `<source>/<tool>`, the source being its
 * service's name (Kong's `service/tool`). `server.tool_name_prefix: always` prefixes every
 * source tool, `never` none; a source with `server.preserve_upstream_tool_names` is never
 * prefixed. A name that still collides after that is served by nobody (fail closed) and the
 * list says so in `_meta`.
 */
import { createHash } from 'node:crypto';
import type { RequestContextApi } from '../../data-plane/runtime/plugin-api';
import { skeleton } from '../../data-plane/mcp/methods';
import type { ToolCallOutcome } from '../../data-plane/mcp/server/served-tools';
import { SourceClient, sourceFailure, type McpSource } from './source-client';

export type FailureMode = 'omit' | 'fail';
export type PrefixRule = 'on_collision' | 'always' | 'never';

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

type Tool = Record<string, unknown> & { name: string };

/** Client headers that may carry authority over what a source serves. */
const AUTHORITY = /auth|token|key|secret|cookie|session|credential/i;

interface SourceList {
  tools: Tool[];
  at: number;
}

/** A list could not be made (a source whose failure_mode is `fail` failed). */
export class SourceListFailed extends Error {}

export interface VirtualListing {
  tools: Tool[];
  /** What was left out and why (sources that failed, names that collided). */
  omitted: { source?: string; tool?: string; reason: string }[];
  /** Public name → where it is served. */
  routes: Map<string, { source: number; name: string }>;
}

class Source {
  readonly client: SourceClient;
  private readonly cache = new Map<string, SourceList>();

  constructor(
    readonly settings: SourceSettings,
    env: ConstructorParameters<typeof SourceClient>[1],
  ) {
    this.client = new SourceClient(settings, env);
  }

  /** The caller's whole list of this source (every page), cached for the TTL. */
  async list(ctx: RequestContextApi, partition: string): Promise<Tool[]> {
    const hit = this.cache.get(partition);
    if (hit && performance.now() - hit.at < this.settings.ttlMs) return hit.tools;
    const tools: Tool[] = [];
    let cursor: unknown;
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await this.client.request(
        ctx,
        partition,
        'tools/list',
        cursor === undefined ? {} : { cursor },
      );
      if (answer.failure) throw new Error(answer.failure);
      if (answer.reply?.error) throw new Error(`tools/list: ${answer.reply.error.message}`);
      const result = answer.reply!.result as { tools?: unknown; nextCursor?: unknown };
      if (!Array.isArray(result?.tools)) throw new Error('tools/list: no tools in the result');
      for (const t of result.tools)
        if (t && typeof t === 'object' && typeof (t as Tool).name === 'string') tools.push(t as Tool);
      cursor = result.nextCursor;
      if (typeof cursor !== 'string' || !cursor) break;
    }
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(partition, { tools, at: performance.now() });
    return tools;
  }
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
  ) {
    this.sources = settings.map((s) => new Source(s, env));
  }

  get empty(): boolean {
    return this.sources.length === 0;
  }

  /**
   * Who the sources see: the caller's identity and, for sources that take the client's headers,
   * those that may carry authority (a token passed through changes what a source lists). Lists
   * and upstream sessions are never shared across partitions.
   */
  partitionOf(ctx: RequestContextApi): string {
    const h = createHash('sha256');
    h.update(
      JSON.stringify([
        ctx.consumer?.id ?? null,
        ctx.credential?.id ?? null,
        ctx.authenticated,
        ctx.anonymous,
      ]),
    );
    h.update(JSON.stringify((ctx.consumerGroups ?? []).map((g) => g.id)));
    if (this.sources.some((s) => s.settings.forwardHeaders))
      for (const name of Object.keys(ctx.headers).sort())
        if (AUTHORITY.test(name)) h.update(JSON.stringify([name, ctx.headers[name]]));
    return h.digest('base64url');
  }

  /** Every source's tools for this caller, named; `reserved`: names served otherwise. */
  async list(ctx: RequestContextApi, reserved: readonly string[]): Promise<VirtualListing> {
    const partition = this.partitionOf(ctx);
    const settled = await bounded(
      this.sources.map((s) => () => s.list(ctx, partition)),
      this.concurrency,
    );
    const omitted: VirtualListing['omitted'] = [];
    const lists: { source: number; tools: Tool[] }[] = [];
    settled.forEach((r, i) => {
      const s = this.sources[i].settings;
      if (r.status === 'fulfilled') return lists.push({ source: i, tools: r.value });
      const reason = (r.reason as Error).message;
      if (s.failureMode === 'fail') throw new SourceListFailed(`MCP source '${s.name}' failed: ${reason}`);
      omitted.push({ source: s.name, reason });
    });
    const named = this.named(lists, reserved);
    return { tools: named.tools, routes: named.routes, omitted: [...omitted, ...named.omitted] };
  }

  /** Public names for the gathered lists, by the rule in this file's comment. */
  private named(lists: { source: number; tools: Tool[] }[], reserved: readonly string[]) {
    const owners = new Map<string, Set<number>>();
    for (const name of reserved) owners.set(skeleton(name, true), new Set([-1]));
    for (const { source, tools } of lists)
      for (const t of tools) {
        const k = skeleton(t.name, true);
        owners.set(k, (owners.get(k) ?? new Set()).add(source));
      }
    const candidates: { public: string; source: number; tool: Tool }[] = [];
    for (const { source, tools } of lists) {
      const s = this.sources[source].settings;
      for (const t of tools) {
        const clash = (owners.get(skeleton(t.name, true))?.size ?? 0) > 1;
        const prefixed =
          !s.preserveNames && (this.prefix === 'always' || (this.prefix === 'on_collision' && clash));
        candidates.push({ public: prefixed ? `${s.name}/${t.name}` : t.name, source, tool: t });
      }
    }
    // Names still alike after prefixing (a source listing `other/tool`, `never`, a tool listed
    // twice) are served by nobody: which one a client meant cannot be told.
    const count = new Map<string, number>();
    for (const n of [...reserved, ...candidates.map((c) => c.public)])
      count.set(skeleton(n, true), (count.get(skeleton(n, true)) ?? 0) + 1);
    const tools: Tool[] = [];
    const routes: VirtualListing['routes'] = new Map();
    const omitted: VirtualListing['omitted'] = [];
    for (const c of candidates) {
      if (count.get(skeleton(c.public, true))! > 1) {
        omitted.push({
          source: this.sources[c.source].settings.name,
          tool: c.tool.name,
          reason: 'name collision',
        });
        continue;
      }
      tools.push({ ...c.tool, name: c.public });
      routes.set(c.public, { source: c.source, name: c.tool.name });
    }
    return { tools, routes, omitted };
  }

  /** A call by its public name, through its source's route (which judges it again). */
  async call(
    ctx: RequestContextApi,
    name: string,
    args: unknown,
    reserved: readonly string[],
  ): Promise<(ToolCallOutcome & { source: string }) | null> {
    const listing = await this.list(ctx, reserved);
    const at = listing.routes.get(name);
    if (!at) return null;
    const source = this.sources[at.source];
    const answer = await source.client.request(ctx, this.partitionOf(ctx), 'tools/call', {
      name: at.name,
      ...(args === undefined ? {} : { arguments: args }),
    });
    const from = source.settings.name;
    if (answer.failure) return { error: sourceFailure(source.settings, answer.failure), source: from };
    if (answer.reply?.error) return { error: answer.reply.error, source: from };
    return { result: answer.reply!.result, source: from };
  }
}
