/**
 * What mode passthrough-listener decides per route, made once per configured plugin: the exact
 * tool names, the ACLs for a caller, other plugins' gates (the guard chain), and what the
 * upstream's answers may show (the inventory of tools seen, the filtered lists).
 */
import type { CompileEnv, RequestContextApi } from '../../data-plane/runtime/plugin-api';
import type { Static } from '@sinclair/typebox';
import type { aiMcpProxyPlugin } from './schema';
import { decide, denialMessage, toolAclsOf, type Caller } from './tool-acl';
import { callerResolver } from './caller';
import { exchangeOf, observeServerMessage, type McpExchange } from '../../data-plane/mcp/exchange';
import { isVisibleAscii } from '../../data-plane/mcp/methods';
import { skeleton } from '../../shared/mcp/name-skeleton';
import { filterTools, refuseMessages, toolLists } from '../../data-plane/mcp/tools-filter';
import { guardChain, toolGatesOf, type GuardChain } from '../../data-plane/mcp/guard-chain';
import { toolInventoryOf, type ToolInventory } from '../../data-plane/mcp/tool-inventory';
import { mcpMetricsOf, type McpMetrics } from '../../data-plane/mcp/mcp-metrics';
import { headerParamsOf } from '../../data-plane/mcp/request-headers';
import { checkResultTypes } from '../../data-plane/mcp/result-types';
import type { HeaderParamsOfTool } from '../../data-plane/mcp/era-rules';

export type AiMcpProxyConfig = Static<(typeof aiMcpProxyPlugin)['schema']>;

function observeAll(ex: McpExchange | undefined, value: unknown) {
  if (!ex) return;
  for (const m of Array.isArray(value) ? value : [value]) observeServerMessage(ex, m);
}

/** A tools/list reply is the whole list when it is the first page and has no next one. */
function wholeList(ex: McpExchange | undefined, message: Record<string, any>): boolean {
  if (message.result?.nextCursor !== undefined) return false;
  const asked = ex?.messages.find(
    (m) => m.id !== undefined && m.id === message.id && m.method === 'tools/list',
  );
  return asked !== undefined && !asked.cursor;
}

export class PassthroughGuards {
  readonly acls: ReturnType<typeof toolAclsOf>;
  readonly inventory: ToolInventory;
  readonly metrics: McpMetrics;
  readonly callerOf: (ctx: RequestContextApi) => Caller;
  readonly logStats: boolean;
  readonly logPayloads: boolean;
  readonly logAudits: boolean;
  /**
   * A lenient upstream would run `Push_Files` as `push_files`: near misses of a configured tool
   * are refused rather than judged by the default ACL.
   */
  private readonly configuredBySkeleton: Map<string, string>;

  constructor(
    readonly config: AiMcpProxyConfig,
    env: CompileEnv,
  ) {
    this.acls = toolAclsOf(config);
    this.inventory = toolInventoryOf(env.runtime);
    this.metrics = mcpMetricsOf(env.runtime);
    this.callerOf = callerResolver(config);
    this.configuredBySkeleton = new Map([...this.acls.tools.keys()].map((n) => [skeleton(n, true), n]));
    this.logStats = config.logging?.log_statistics === true;
    this.logPayloads = config.logging?.log_payloads === true;
    this.logAudits = config.logging?.log_audits === true;
  }

  /** Why this tool name cannot be judged, or null. */
  toolNameProblem(tool: string): string | null {
    if (!isVisibleAscii(tool))
      return `Tool name ${JSON.stringify(tool)} has characters outside visible ASCII`;
    const near = this.configuredBySkeleton.get(skeleton(tool, true));
    if (near !== undefined && near !== tool)
      return `Tool '${tool}' is not available: tool names are exact (did you mean '${near}'?)`;
    return null;
  }

  /** The guard chain for this request: the name, the ACLs for its caller, other plugins' gates. */
  guardsOf(ctx: RequestContextApi): GuardChain {
    const caller = this.callerOf(ctx);
    const aclFor = this.acls.aclFor;
    return guardChain([
      {
        refusal: 'refused',
        callRefusal: (tool) => this.toolNameProblem(tool),
        listed: (name) => this.toolNameProblem(name) === null,
      },
      {
        refusal: 'denied',
        callRefusal(tool) {
          const d = decide(aclFor(tool), caller);
          return d.allowed ? null : denialMessage(tool, d);
        },
        listed: (name) => decide(aclFor(name), caller).allowed,
      },
      ...toolGatesOf(ctx),
    ]);
  }

  /**
   * A tool's `x-mcp-header` parameters, from the definition this process last saw listed on the
   * route (undefined: never seen; null: annotations the gateway cannot apply).
   */
  headerParams(ctx: RequestContextApi): HeaderParamsOfTool {
    return (tool) => {
      const seen = this.inventory.local(ctx.route.id, tool);
      return seen ? headerParamsOf(seen.definition.inputSchema) : undefined;
    };
  }

  /** Filtering and observing what the upstream sends back. */
  visitor(ctx: RequestContextApi): (value: unknown) => unknown {
    const ex = exchangeOf(ctx);
    const observe = ex?.observeResponses ? ex : undefined;
    const guards = this.guardsOf(ctx);
    return (value: unknown) => {
      // What the upstream lists, before any filtering: the tools seen upstream, fingerprinted.
      // A list the inventory cannot take is refused, never shown unchecked.
      const refused = new Map<object, string>();
      for (const list of toolLists(value)) {
        const problem = this.inventory.observe(ctx.route.id, list.tools, wholeList(ex, list.message));
        if (problem) refused.set(list.message, problem);
      }
      const modern = ex?.era === 'modern';
      let out = filterTools(
        refused.size ? refuseMessages(value, refused) : value,
        (name, tool) => guards.listed(name, tool),
        modern,
      );
      if (modern) out = checkResultTypes(out);
      if (observe) observeAll(observe, out);
      return out;
    };
  }
}
