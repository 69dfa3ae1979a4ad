/**
 * A listener's passthrough sources: every `passthrough-listener` route whose ai-mcp-proxy plugin
 * carries the listener's `server.tag` (Kong: the listener binds the plugins tagged with it). The
 * listener lists each source's tools (prompts, resources, templates) for the caller — through the source route's own plugins,
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
import { JSONRPC_ERRORS } from '../../data-plane/mcp/jsonrpc';

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

type Item = Record<string, unknown>;

/** What a listener gathers from its sources, and how each kind's items are named. */
export const KINDS = {
  tools: { list: 'tools/list', field: 'tools', key: 'name', prefixed: true },
  prompts: { list: 'prompts/list', field: 'prompts', key: 'name', prefixed: true },
  // URIs are served as they are: two sources listing one URI serve it to nobody.
  resources: { list: 'resources/list', field: 'resources', key: 'uri', prefixed: false },
  templates: {
    list: 'resources/templates/list',
    field: 'resourceTemplates',
    key: 'uriTemplate',
    prefixed: false,
  },
} as const;
export type Kind = keyof typeof KINDS;

/** Client headers that may carry authority over what a source serves. */
const AUTHORITY = /auth|token|key|secret|cookie|session|credential/i;

interface SourceList {
  items: Item[];
  at: number;
}

/** A list could not be made (a source whose failure_mode is `fail` failed). */
export class SourceListFailed extends Error {}

export interface VirtualListing {
  items: Item[];
  /** What was left out and why (sources that failed, names that collided). */
  omitted: { source?: string; tool?: string; reason: string }[];
  /** Public name (or URI) → where it is served, under which name there. */
  routes: Map<string, { source: number; name: string }>;
}

/**
 * How long a source that failed a caller's list is left out without being asked again (a dead
 * or blackholed source would otherwise cost every list its whole timeout).
 */
const FAILURE_BACKOFF_MS = 5_000;

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
    this.client = new SourceClient(settings, env);
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
        (err: Error) => {
          if (this.failed.size >= MAX_CACHED) this.failed.delete(this.failed.keys().next().value!);
          this.failed.set(key, { at: performance.now(), reason: err.message });
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
      if (answer.failure) throw new Error(answer.failure);
      if (answer.reply?.error?.code === JSONRPC_ERRORS.METHOD_NOT_FOUND && kind !== 'tools') break;
      if (answer.reply?.error) throw new Error(`${list}: ${answer.reply.error.message}`);
      const result = answer.reply!.result as Record<string, unknown> | undefined;
      const got = result?.[field];
      if (!Array.isArray(got)) throw new Error(`${list}: no ${field} in the result`);
      for (const t of got)
        if (t && typeof t === 'object' && typeof (t as Item)[id] === 'string') items.push(t as Item);
      cursor = result?.nextCursor;
      if (typeof cursor !== 'string' || !cursor) break;
    }
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { items, at: performance.now() });
    return items;
  }
}

/**
 * Whether a URI fits an RFC 6570 template: literal parts exactly, each expression any text
 * without `/` (a reserved or path expansion — `{+x}`, `{/x}`, `{#x}` — any text).
 */
export function templateMatches(template: string, uri: string): boolean {
  let pattern = '^';
  let last = 0;
  for (const m of template.matchAll(/\{([^}]*)\}/g)) {
    pattern += template.slice(last, m.index).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    pattern += /^[+#/?&;.]/.test(m[1]) ? '.*' : '[^/]*';
    last = m.index! + m[0].length;
  }
  pattern += template.slice(last).replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$';
  return new RegExp(pattern).test(uri);
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

  /** Every source's items of a kind for this caller, named; `reserved`: names served otherwise. */
  async list(ctx: RequestContextApi, kind: Kind, reserved: readonly string[] = []): Promise<VirtualListing> {
    const partition = this.partitionOf(ctx);
    const settled = await bounded(
      this.sources.map((s) => () => s.list(ctx, partition, kind)),
      this.concurrency,
    );
    const omitted: VirtualListing['omitted'] = [];
    const lists: { source: number; items: Item[] }[] = [];
    settled.forEach((r, i) => {
      const s = this.sources[i].settings;
      if (r.status === 'fulfilled') return lists.push({ source: i, items: r.value });
      const reason = (r.reason as Error).message;
      if (s.failureMode === 'fail') throw new SourceListFailed(`MCP source '${s.name}' failed: ${reason}`);
      omitted.push({ source: s.name, reason });
    });
    const named = this.named(kind, lists, reserved);
    return { items: named.items, routes: named.routes, omitted: [...omitted, ...named.omitted] };
  }

  /** Public names for the gathered lists, by the rule in this file's comment. */
  private named(kind: Kind, lists: { source: number; items: Item[] }[], reserved: readonly string[]) {
    const { key, prefixed: prefixable } = KINDS[kind];
    // Names are compared as a lenient server would read them; URIs exactly.
    const same = (n: string) => (prefixable ? skeleton(n, true) : n);
    const owners = new Map<string, Set<number>>();
    for (const name of reserved) owners.set(same(name), new Set([-1]));
    for (const { source, items } of lists)
      for (const t of items) {
        const k = same(t[key] as string);
        owners.set(k, (owners.get(k) ?? new Set()).add(source));
      }
    const candidates: { public: string; source: number; item: Item }[] = [];
    for (const { source, items } of lists) {
      const s = this.sources[source].settings;
      for (const t of items) {
        const name = t[key] as string;
        const clash = (owners.get(same(name))?.size ?? 0) > 1;
        const prefixed =
          prefixable &&
          !s.preserveNames &&
          (this.prefix === 'always' || (this.prefix === 'on_collision' && clash));
        candidates.push({ public: prefixed ? `${s.name}/${name}` : name, source, item: t });
      }
    }
    // Names still alike after prefixing (a source listing `other/tool`, `never`, a tool listed
    // twice, a URI two sources list) are served by nobody: which one a client meant cannot be told.
    const count = new Map<string, number>();
    for (const n of [...reserved, ...candidates.map((c) => c.public)])
      count.set(same(n), (count.get(same(n)) ?? 0) + 1);
    const items: Item[] = [];
    const routes: VirtualListing['routes'] = new Map();
    const omitted: VirtualListing['omitted'] = [];
    // An unprefixed name that reads as another source's prefixed one (`github/...` from a source
    // that is not github) would pass for that source's tool: served by nobody.
    const sourceNames = new Set(this.sources.map((x) => same(x.settings.name)));
    const impersonates = (c: (typeof candidates)[number]) => {
      const slash = c.public.indexOf('/');
      return (
        prefixable && slash > 0 && c.public === c.item[key] && sourceNames.has(same(c.public.slice(0, slash)))
      );
    };
    for (const c of candidates) {
      const name = c.item[key] as string;
      if (impersonates(c)) {
        omitted.push({
          source: this.sources[c.source].settings.name,
          [kind]: name,
          reason: "reads as another source's name",
        });
        continue;
      }
      if (count.get(same(c.public))! > 1) {
        omitted.push({
          source: this.sources[c.source].settings.name,
          [kind]: name,
          reason: 'name collision',
        });
        continue;
      }
      items.push({ ...c.item, [key]: c.public });
      routes.set(c.public, { source: c.source, name });
    }
    return { items, routes, omitted };
  }

  /** A request to the source serving `at`, answered as the source answered. */
  private async ask(
    ctx: RequestContextApi,
    at: { source: number },
    method: string,
    params: Record<string, unknown>,
  ): Promise<ToolCallOutcome & { source: string }> {
    const source = this.sources[at.source];
    const answer = await source.client.request(ctx, this.partitionOf(ctx), method, params);
    const from = source.settings.name;
    if (answer.failure) return { error: sourceFailure(source.settings, answer.failure), source: from };
    if (answer.reply?.error) return { error: answer.reply.error, source: from };
    return { result: answer.reply!.result, source: from };
  }

  /** `prompts/get` by public name. */
  async getPrompt(ctx: RequestContextApi, params: Record<string, unknown>) {
    const name = params.name;
    if (typeof name !== 'string') return null;
    const at = (await this.list(ctx, 'prompts')).routes.get(name);
    return at ? this.ask(ctx, at, 'prompts/get', { ...params, name: at.name }) : null;
  }

  /**
   * `resources/read`: a listed URI goes to the source that listed it; another to the one source
   * whose template matches it (none, or two: not found).
   */
  async readResource(ctx: RequestContextApi, params: Record<string, unknown>) {
    const uri = params.uri;
    if (typeof uri !== 'string') return null;
    let at = (await this.list(ctx, 'resources')).routes.get(uri);
    if (!at) {
      const templates = (await this.list(ctx, 'templates')).routes;
      const matching = [...templates].filter(([t]) => templateMatches(t, uri));
      if (new Set(matching.map(([, a]) => a.source)).size === 1) at = matching[0][1];
    }
    return at ? this.ask(ctx, at, 'resources/read', params) : null;
  }

  /** A call by its public name, through its source's route (which judges it again). */
  async call(ctx: RequestContextApi, name: string, args: unknown, reserved: readonly string[]) {
    const at = (await this.list(ctx, 'tools', reserved)).routes.get(name);
    if (!at) return null;
    return this.ask(ctx, at, 'tools/call', {
      name: at.name,
      ...(args === undefined ? {} : { arguments: args }),
    });
  }
}
