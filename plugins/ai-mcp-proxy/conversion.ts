/**
 * ai-mcp-proxy in `conversion-listener` and `listener` modes: the gateway is the MCP server.
 * Its tools are HTTP operations (rest-tool.ts): a conversion-listener's own `tools` on its own
 * route's service, or, for a listener, every tool of the conversion plugins whose plugin tags
 * carry `server.tag`, each called on its own route (or service) with that route's plugins.
 * Governance is the passthrough's: the caller by consumer_identifier and groups, a tool's own
 * ACL else its plugin's default_acl, denied tools neither listed nor called (-32602).
 */
import { admitOne } from './limited-answers';
import { ApplyError, type Entity, type Route } from '../../data-plane/runtime/entity';
import type { CompileEnv, PluginHooks, RequestContextApi } from '../../data-plane/runtime/plugin-api';
import type { Static } from '@sinclair/typebox';
import { JSONRPC_ERRORS, type JsonRpcId } from '../../data-plane/mcp/jsonrpc';
import { headerParamsOf } from '../../data-plane/mcp/request-headers';
import {
  serveMcp,
  type ServedTools,
  type ToolCallOutcome,
} from '../../data-plane/mcp/server/streamable-server';
import { processSecret, SessionSealer } from '../../data-plane/mcp/server/session-ids';
import { defineSlot } from '../../data-plane/runtime/slots';
import { redact } from '../../shared/redact';
import { TOLLGATE_VERSION } from '../../shared/version';
import { aiMcpProxyPlugin } from './schema';
import { decide, denialMessage, toolAclsOf, unionCaller, type Caller } from './tool-acl';
import { callerResolver } from './caller';
import { compileRestTool, type RestTool } from './rest-tool';
import type { ToolDefinition } from './tool-definitions';
import { listenerSources } from './listener-sources';
import { taggedPlugins } from './tagged-plugins';

/** The process's own session secret, when no configured one applies. */
const SESSION_SECRET = defineSlot<Buffer>('ai-mcp-proxy:session-secret');

type Config = Static<typeof aiMcpProxyPlugin.schema>;

interface ServedTool {
  tool: RestTool;
  /** The route it is called on. */
  route: Route;
  /** Run that route's plugins (a listener's tools), or only those after ai-mcp-proxy (own). */
  ownRoute: boolean;
  /**
   * Who the tool's ACL judges: a listener's tools by the listener's identity settings (Kong)
   * together with those of the plugin that defines the tool (consumer_identifier, groups, token
   * claims), so that a deny its own plugin was written for never stops matching.
   */
  callerFor: (ctx: RequestContextApi) => Caller;
}

/** A tool's HTTP answer is read whole and converted: larger ones are an error result. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** The first plain (non-regex) path of a route: what relative tool paths join. */
export function basePathOf(route: Route | undefined): string | null {
  return ((route?.paths ?? []) as string[]).find((p) => !p.startsWith('~')) ?? null;
}

function toolsOf(config: Config, route: Route): RestTool[] {
  const acls = toolAclsOf(config);
  return ((config.tools ?? []) as ToolDefinition[]).map((def) =>
    compileRestTool(def, { basePath: basePathOf(route), acl: def.acl ?? acls.defaultAcl }),
  );
}

/** The route a conversion plugin's tools are called on (a service-scoped one: its service). */
function routeOfPlugin(p: Entity, env: CompileEnv): Route | null {
  if (p.route?.id) return env.routes.get(p.route.id) ?? null;
  if (p.service?.id) {
    const s = env.services.get(p.service.id);
    // A stand-in route for the service: what a route call reads of it (id, name, service, paths).
    if (!s) return null;
    const standIn = { id: `service:${s.id}`, name: s.name, service: { id: s.id }, paths: null };
    return standIn as Partial<Route> as Route;
  }
  return null;
}

function gather(config: Config, env: CompileEnv, self: Entity): ServedTool[] {
  const listenerCaller = callerResolver(config);
  if (config.mode !== 'listener') {
    const route = self.route?.id ? env.routes.get(self.route.id) : undefined;
    if (!route) throw new ApplyError(`ai-mcp-proxy ${config.mode} must be on a route`);
    return toolsOf(config, route).map((tool) => ({ tool, route, ownRoute: true, callerFor: listenerCaller }));
  }
  const tag = config.server.tag!;
  const out: ServedTool[] = [];
  for (const p of taggedPlugins(tag, env, self, ['conversion-only', 'conversion-listener'])) {
    const route = routeOfPlugin(p, env);
    if (!route) throw new ApplyError(`ai-mcp-proxy ${p.id} (tag '${tag}') has no route or service to call`);
    const toolCaller = callerResolver(p.config as Config);
    const callerFor = (ctx: RequestContextApi) => unionCaller(listenerCaller(ctx), toolCaller(ctx));
    for (const tool of toolsOf(p.config as Config, route))
      out.push({ tool, route, ownRoute: false, callerFor });
  }
  return out;
}

function sealerOf(config: Config, env: CompileEnv, self: Entity): SessionSealer | null {
  const session = config.server.session;
  if (session.managed === false) return null;
  const secrets =
    session.strategy === 'client'
      ? (session.client?.secrets ?? [])
      : [
          env.env.TOLLGATE_MCP_SESSION_SECRET ||
            env.env.TOLLGATE_CLUSTER_TOKEN ||
            env.runtime.keep(SESSION_SECRET, processSecret),
        ];
  return new SessionSealer(secrets, self.id, session.session_ttl);
}

/** Input validation errors are tool execution errors (MCP 2025-11-25): the model can correct itself. */
function invalidArguments(name: string, problem: string): ToolCallOutcome {
  return {
    result: {
      content: [{ type: 'text', text: `Invalid arguments for tool '${name}': ${problem}` }],
      isError: true,
    },
  };
}

/** The tools one conversion route serves: listed for a caller, called through their routes. */
class ConvertedTools {
  private readonly byName = new Map<string, ServedTool>();
  /** Whole milliseconds a timer can hold (a float, 0 or 2^32 would break every call). */
  private readonly timeoutMs: number;
  private readonly forward: boolean;
  readonly logAudits: boolean;

  constructor(
    private readonly served: ServedTool[],
    config: Config,
    private readonly env: CompileEnv,
  ) {
    for (const s of served) {
      if (this.byName.has(s.tool.name))
        throw new ApplyError(`ai-mcp-proxy ${config.mode}: tool name '${s.tool.name}' is defined twice`);
      this.byName.set(s.tool.name, s);
    }
    this.timeoutMs = Math.min(Math.max(1, Math.floor(config.server.timeout)), 2 ** 31 - 1);
    this.forward = config.server.forward_client_headers !== false;
    this.logAudits = config.logging?.log_audits === true;
  }

  list(ctx: RequestContextApi): Record<string, unknown>[] {
    const callers = new Map<ServedTool['callerFor'], Caller>();
    const callerOf = (s: ServedTool) => {
      let c = callers.get(s.callerFor);
      if (!c) callers.set(s.callerFor, (c = s.callerFor(ctx)));
      return c;
    };
    return this.served.filter((s) => decide(s.tool.acl, callerOf(s)).allowed).map((s) => s.tool.listing);
  }

  /** A call judged (ACL, arguments), then made on its route; `audits` gets its audit record. */
  async call(
    ctx: RequestContextApi,
    name: string,
    args: unknown,
    id: JsonRpcId,
    audits: Map<unknown, Record<string, unknown>>,
  ): Promise<ToolCallOutcome> {
    const s = this.byName.get(name);
    if (!s) return { error: { code: JSONRPC_ERRORS.INVALID_PARAMS, message: `Unknown tool: ${name}` } };
    const caller = s.callerFor(ctx);
    const d = decide(s.tool.acl, caller);
    if (this.logAudits)
      audits.set(id, {
        audit: {
          primitive: 'tool',
          name,
          allowed: d.allowed,
          consumer: caller.consumer,
          groups: caller.groups,
        },
      });
    if (!d.allowed)
      return { error: { code: JSONRPC_ERRORS.INVALID_PARAMS, message: denialMessage(name, d) } };
    const problem = s.tool.argumentProblem(args);
    if (problem) return invalidArguments(name, problem);
    // Counted last, once the call would be made (ai-mcp-rate-limiting).
    const limited = await admitOne(ctx, name);
    if (limited) return limited;
    const request = s.tool.request(
      (args ?? {}) as Record<string, unknown>,
      this.forward ? ctx.headers : null,
    );
    if ('problem' in request) return invalidArguments(name, request.problem);
    const res = await this.env.routeCaller.call({
      from: ctx,
      route: s.route,
      method: request.method,
      path: request.path,
      query: request.query,
      headers: request.headers,
      body: request.body,
      scheme: request.scheme,
      hostHeader: request.hostHeader,
      timeoutMs: this.timeoutMs,
      signal: AbortSignal.timeout(this.timeoutMs),
      // On its own route, the plugins up to this one already ran on the MCP request.
      plugins: {
        after: s.ownRoute ? 'ai-mcp-proxy' : undefined,
        skip: (inst) => inst.name === 'ai-mcp-proxy',
      },
      maxResponseBytes: MAX_ANSWER_BYTES,
    });
    return { result: s.tool.result(res) };
  }

  /** Every tool name served (whoever asks). */
  get names(): string[] {
    return [...this.byName.keys()];
  }

  /** What serveMcp offers, for one request (its audit records). */
  forRequest(audits: Map<unknown, Record<string, unknown>>): ServedTools {
    return {
      list: (ctx) => ({ tools: this.list(ctx) }),
      headerParams: (name) => {
        const s = this.byName.get(name);
        return s ? headerParamsOf(s.tool.listing.inputSchema) : undefined;
      },
      call: (ctx, name, args, id) => this.call(ctx, name, args, id, audits),
    };
  }
}

/** The request's messages by id, for payload logging. */
function payloadsOf(ctx: RequestContextApi): Map<unknown, unknown> {
  const payloads = new Map<unknown, unknown>();
  const parsed = ctx.jsonBody();
  for (const m of Array.isArray(parsed) ? parsed : [parsed])
    if (m && typeof m === 'object' && 'id' in m) payloads.set((m as { id: unknown }).id, m);
  return payloads;
}

export function conversionServer(config: Config, env: CompileEnv, self: Entity): PluginHooks {
  const tools = new ConvertedTools(gather(config, env, self), config, env);
  const sessions = sealerOf(config, env, self);
  const withSources = listenerSources(config, env, self, tools.names, sessions);
  const logPayloads = config.logging?.log_payloads === true;
  return {
    needsRequestBody: true,
    async access(ctx) {
      const entries: NonNullable<typeof ctx.analytics.entries> = [];
      ctx.analytics.entries = entries;
      const audits = new Map<unknown, Record<string, unknown>>();
      const payloads = logPayloads ? payloadsOf(ctx) : null;
      const own = tools.forRequest(audits);
      await serveMcp(ctx, withSources ? withSources(own, audits) : own, {
        name: 'tollgate',
        version: TOLLGATE_VERSION,
        maxBodyBytes: config.max_request_body_size,
        sessions,
        record: ({ method, tool, error, id, reply }) => {
          const detail: Record<string, unknown> = { ...(audits.get(id) ?? {}) };
          if (payloads?.has(id)) detail.request_payload = redact(payloads.get(id));
          if (payloads && reply !== undefined) detail.response_payload = redact(reply);
          entries.push({
            mcp_method: method,
            tool,
            jsonrpc_error: error,
            detail: Object.keys(detail).length ? detail : null,
          });
        },
      });
    },
  };
}
