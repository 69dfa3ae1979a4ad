/**
 * What this process knows of the tools upstreams list, per route: the newest definition seen
 * here (from tools/list replies, before any filtering) and the cluster's view of pinned tools
 * held for approval (pushed by the control plane as plugin state `mcp_tools`). It reports
 * observations (`mcp_tools` reports), deduplicated: a route's list goes out when it differs
 * from the last one reported, or once a minute (last seen), with each definition the first
 * time its fingerprint is reported for the route. One per process (`toolInventoryOf`).
 */
import { Counter, Gauge } from 'prom-client';
import type { PluginRuntime } from '../runtime/plugin-api';
import {
  checkToolStates,
  fingerprint,
  TOOLS_KIND,
  toolDefinition,
  type HeldTool,
  type ToolDefinition,
  type ToolObservation,
} from '../../shared/mcp/tool-fingerprint';

const REFRESH_MS = 60_000;
const MAX_REMEMBERED = 20_000;

export interface SeenTool {
  definition: ToolDefinition;
  /** Over every member (the identity of this version of the tool). */
  fingerprint: string;
  seenAt: number;
}

/** The process's inventory (ai-mcp-proxy observes into it, mcp-tool-pinning reads it). */
export function toolInventoryOf(runtime: PluginRuntime): ToolInventory {
  return runtime.keep('mcp:tool-inventory', () => new ToolInventory(runtime));
}

export class ToolInventory {
  private readonly seen = new Map<string, SeenTool>();
  private readonly lastReport = new Map<string, { signature: string; at: number }>();
  private readonly reported = new Set<string>();
  /** The fingerprint (every member) of each listed tool object observed, for later judges. */
  private readonly byObject = new WeakMap<object, string>();
  private heldFrom: unknown = undefined;
  private held = new Map<string, HeldTool>();
  /** Listed tools whose definition differs from the version this process saw before. */
  readonly changes: { inc(): void };
  /** Listed tools mcp-tool-pinning withheld; tools/call it refused. */
  readonly withheld: { inc(): void };
  readonly refusedCalls: { inc(): void };

  constructor(private readonly runtime: PluginRuntime) {
    const registers = [runtime.metrics];
    this.changes = new Counter({
      name: 'tollgate_mcp_tool_changes_total',
      help: 'Listed MCP tools whose definition differed from the version this data plane saw before',
      registers,
    });
    this.withheld = new Counter({
      name: 'tollgate_mcp_tools_withheld_total',
      help: 'Listed MCP tools mcp-tool-pinning withheld (changed or new, awaiting approval)',
      registers,
    });
    this.refusedCalls = new Counter({
      name: 'tollgate_mcp_tool_calls_refused_total',
      help: 'tools/call refused by mcp-tool-pinning (the tool is awaiting approval)',
      registers,
    });
    const heldCount = () => this.heldIndex().size;
    new Gauge({
      name: 'tollgate_mcp_tools_held',
      help: 'Tools the control plane reports held for approval on pinned routes',
      registers,
      aggregator: 'max',
      collect() {
        this.set(heldCount());
      },
    });
  }

  /** A tools/list result from `routeId`'s upstream; `complete`: the whole list in one page. */
  observe(routeId: string, tools: unknown[], complete: boolean, now = Date.now()): void {
    const entries: ToolObservation['tools'] = [];
    for (const t of tools) {
      if (!t || typeof t !== 'object' || typeof (t as any).name !== 'string') continue;
      const name: string = (t as any).name;
      if (!name || name.length > 255) continue;
      const definition = toolDefinition(t as Record<string, unknown>);
      const fp = fingerprint(definition);
      this.byObject.set(t, fp);
      const key = `${routeId}\0${name}`;
      const before = this.seen.get(key);
      if (before && before.fingerprint !== fp) this.changes.inc();
      if (!before && this.seen.size >= MAX_REMEMBERED) this.seen.clear();
      this.seen.set(key, { definition, fingerprint: fp, seenAt: now });
      entries.push({ name, fingerprint: fp });
    }
    const signature = `${complete ? 1 : 0}|${entries
      .map((e) => `${e.name}=${e.fingerprint}`)
      .sort()
      .join(',')}`;
    const last = this.lastReport.get(routeId);
    if (last && last.signature === signature && now - last.at < REFRESH_MS) return;
    this.lastReport.set(routeId, { signature, at: now });
    if (this.reported.size >= MAX_REMEMBERED) this.reported.clear();
    for (const e of entries) {
      const key = `${routeId}\0${e.fingerprint}`;
      if (this.reported.has(key)) continue;
      this.reported.add(key);
      e.definition = this.seen.get(`${routeId}\0${e.name}`)!.definition as Record<string, unknown>;
    }
    const observation: ToolObservation = { route_id: routeId, ts: now, complete, tools: entries };
    this.runtime.report(TOOLS_KIND, observation);
  }

  /** The fingerprint over every member of a listed tool object `observe` saw, if it did. */
  fingerprintOf(tool: object): string | undefined {
    return this.byObject.get(tool);
  }

  /** The newest definition of a tool seen here. */
  local(routeId: string, name: string): SeenTool | undefined {
    return this.seen.get(`${routeId}\0${name}`);
  }

  /** The cluster's held tools, indexed once per state the control plane pushed. */
  private heldIndex(): Map<string, HeldTool> {
    const state = this.runtime.clusterState(TOOLS_KIND);
    if (state !== this.heldFrom) {
      this.heldFrom = state;
      // A state of the wrong shape holds nothing extra: each data plane still judges what it lists.
      const held = checkToolStates.Check(state) ? state.held : [];
      this.held = new Map(held.map((h) => [`${h.route_id}\0${h.name}`, h]));
    }
    return this.held;
  }

  heldInCluster(routeId: string, name: string): HeldTool | undefined {
    return this.heldIndex().get(`${routeId}\0${name}`);
  }
}
