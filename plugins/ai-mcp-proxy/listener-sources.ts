/**
 * A listener over real MCP servers: its passthrough sources (virtual-tools.ts) served beside its
 * converted tools. The listener's own tool ACL (`default_acl`) judges every source tool by its
 * public name on top of what the source route's plugins judge; a denied one is neither listed
 * nor called.
 */
import { admitOne } from './limited-answers';
import { ApplyError, type Entity } from '../../data-plane/runtime/entity';
import type { CompileEnv, RequestContextApi } from '../../data-plane/runtime/plugin-api';
import type { Static } from '@sinclair/typebox';
import { JSONRPC_ERRORS } from '../../data-plane/mcp/jsonrpc';
import {
  ToolListError,
  type ServedTools,
  type ToolCallOutcome,
} from '../../data-plane/mcp/server/served-tools';
import { aiMcpProxyPlugin } from './schema';
import { decide, denialMessage, toolAclsOf } from './tool-acl';
import { callerResolver } from './caller';
import { taggedPlugins } from './tagged-plugins';
import { TaskHandles } from './source-tasks';
import type { SessionSealer } from '../../data-plane/mcp/server/session-ids';
import { OMITTED_META, SourceListFailed, VirtualTools, type SourceSettings } from './virtual-tools';
import { KINDS, type Kind } from './virtual-names';

type Config = Static<typeof aiMcpProxyPlugin.schema>;

/** The passthrough routes tagged with the listener's `server.tag`, as sources. */
export function gatherSources(config: Config, env: CompileEnv, self: Entity): SourceSettings[] {
  const tag = config.server.tag!;
  const out: SourceSettings[] = [];
  for (const p of taggedPlugins(tag, env, self, ['passthrough-listener'])) {
    const route = p.route?.id ? env.routes.get(p.route.id) : undefined;
    if (!route) throw new ApplyError(`ai-mcp-proxy ${p.id} (tag '${tag}') must be on a route to be a source`);
    const service = route.service ? env.services.get(route.service.id) : undefined;
    if (!service) throw new ApplyError(`the route of ai-mcp-proxy ${p.id} (tag '${tag}') has no service`);
    const c = p.config as Config;
    out.push({
      name: service.name ?? route.name ?? route.id,
      route,
      path: service.path || '/',
      timeoutMs: Math.min(Math.max(1, Math.floor(config.server.timeout)), 2 ** 31 - 1),
      forwardHeaders: c.server.forward_client_headers !== false,
      ttlMs: c.tools_cache_ttl_seconds * 1000,
      failureMode: c.server.failure_mode,
      preserveNames: c.server.preserve_upstream_tool_names,
    });
  }
  return out;
}

/**
 * What a listener over sources serves: its sources' tools, prompts and resources, and their list
 * changes as the sources send them (fanned in from their streams; its own caches drop on them).
 * What a client would need one source for — subscriptions to a resource, completions, logging
 * levels — is not offered: the listener cannot say which source the client means.
 */
const SOURCE_CAPABILITIES = {
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { listChanged: true },
};
/** Tasks of its sources' tools, by handle (source-tasks.ts), where it can seal handles. */
const TASK_CAPABILITIES = { tasks: { cancel: {}, requests: { tools: { call: {} } } } };

const listOf =
  (kind: Kind) =>
  async (virtual: VirtualTools, ctx: RequestContextApi): Promise<ToolCallOutcome> => {
    const listing = await virtual.list(ctx, kind);
    const result: Record<string, unknown> = { [KINDS[kind].field]: listing.items };
    if (listing.omitted.length) result._meta = { [OMITTED_META]: listing.omitted };
    return { result };
  };

const NOT_FOUND: ToolCallOutcome = {
  error: { code: JSONRPC_ERRORS.INVALID_PARAMS, message: 'Not found on any source of this listener' },
};

/** What a caller the listener's ACL denies gets: empty lists. */
const DENIED: Record<string, ToolCallOutcome> = {
  'prompts/list': { result: { prompts: [] } },
  'resources/list': { result: { resources: [] } },
  'resources/templates/list': { result: { resourceTemplates: [] } },
};

type OtherMethod = (
  virtual: VirtualTools,
  ctx: RequestContextApi,
  params: Record<string, unknown>,
) => Promise<ToolCallOutcome>;

const OTHER: Record<string, OtherMethod> = {
  'prompts/list': listOf('prompts'),
  'resources/list': listOf('resources'),
  'resources/templates/list': listOf('templates'),
  'prompts/get': async (v, ctx, params) => (await v.getPrompt(ctx, params)) ?? NOT_FOUND,
  'resources/read': async (v, ctx, params) => (await v.readResource(ctx, params)) ?? NOT_FOUND,
  'tasks/get': (v, ctx, params) => v.task(ctx, 'tasks/get', params),
  'tasks/result': (v, ctx, params) => v.task(ctx, 'tasks/result', params),
  'tasks/cancel': (v, ctx, params) => v.task(ctx, 'tasks/cancel', params),
};

/** A list a `fail` source failed is the JSON-RPC error its failure says. */
async function failClosed<T extends ToolCallOutcome | null>(
  run: () => Promise<T>,
): Promise<T | ToolCallOutcome> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof SourceListFailed)
      return { error: { code: JSONRPC_ERRORS.INTERNAL_ERROR, message: err.message } };
    throw err;
  }
}

/**
 * What puts a listener's sources beside its converted tools (`ownNames`), made once per config
 * (the sources' list caches and upstream sessions live as long as it); null without sources.
 */
export function listenerSources(
  config: Config,
  env: CompileEnv,
  self: Entity,
  ownNames: string[],
  sessions: SessionSealer | null,
): ((own: ServedTools, audits: Map<unknown, Record<string, unknown>>) => ServedTools) | null {
  if (config.mode !== 'listener') return null;
  // Task handles are sealed as sessions are: with the listener's secrets, for its own purpose.
  const tasks = sessions ? new TaskHandles(sessions.sealerFor('task', 'tgt1.')) : null;
  const virtual = new VirtualTools(
    gatherSources(config, env, self),
    env,
    config.server.tool_name_prefix,
    config.server.max_concurrency,
    tasks,
  );
  if (virtual.empty) return null;
  const acl = toolAclsOf(config).defaultAcl;
  const callerOf = callerResolver(config);
  const allowed = (ctx: RequestContextApi) => decide(acl, callerOf(ctx));
  return (own, audits) => ({
    async list(ctx) {
      const mine = await own.list(ctx);
      // A caller the listener's ACL denies sees no source at all (not even what was left out).
      if (!allowed(ctx).allowed) return mine;
      let listing;
      try {
        listing = await virtual.list(ctx, 'tools', ownNames);
      } catch (err) {
        if (err instanceof SourceListFailed)
          throw new ToolListError(JSONRPC_ERRORS.INTERNAL_ERROR, err.message);
        throw err;
      }
      const tools = [...mine.tools, ...listing.items];
      return listing.omitted.length ? { tools, meta: { [OMITTED_META]: listing.omitted } } : { tools };
    },
    headerParams: (name) => own.headerParams?.(name),
    capabilities: tasks ? { ...SOURCE_CAPABILITIES, ...TASK_CAPABILITIES } : SOURCE_CAPABILITIES,
    other: (ctx, method, params) => {
      const run = OTHER[method];
      if (!run) return null;
      // The listener's ACL governs its sources' prompts and resources as their tools.
      if (!allowed(ctx).allowed) return Promise.resolve(DENIED[method] ?? NOT_FOUND);
      return failClosed(() => run(virtual, ctx, params));
    },
    relaysProgress: true,
    async call(ctx, name, args, id, how = {}) {
      if (ownNames.includes(name)) return own.call(ctx, name, args, id);
      const d = allowed(ctx);
      if (!d.allowed)
        return { error: { code: JSONRPC_ERRORS.INVALID_PARAMS, message: denialMessage(name, d) } };
      // The listener's quotas (ai-mcp-rate-limiting) count its sources' tools as its own.
      const limited = await admitOne(ctx, name);
      if (limited) return limited;
      const outcome = await failClosed(() => virtual.call(ctx, name, args, ownNames, how));
      if (!outcome)
        return { error: { code: JSONRPC_ERRORS.INVALID_PARAMS, message: `Unknown tool: ${name}` } };
      // Which source answered, for analytics (per-source figures).
      if ('source' in outcome) audits.set(id, { ...(audits.get(id) ?? {}), source: outcome.source });
      return outcome;
    },
    endSession: (ctx, sessionId) => virtual.close(ctx, sessionId),
    listen(ctx, sessionId, send, signal) {
      // A caller the listener's ACL denies hears from no source.
      if (!allowed(ctx).allowed) return { opened: Promise.resolve(false), ended: Promise.resolve() };
      return virtual.listen(ctx, sessionId, send, signal);
    },
  });
}
