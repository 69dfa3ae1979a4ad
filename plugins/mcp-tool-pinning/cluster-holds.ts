/**
 * What a data plane knows of pinning beyond its own lists: the tools the control plane reports
 * held cluster-wide, and pinning's counters. One per process (`clusterHoldsOf`).
 */
import { Counter, Gauge } from 'prom-client';
import type { PluginRuntime } from '../../data-plane/runtime/plugin-api';
import { defineSlot } from '../../data-plane/runtime/slots';
import { checkHeldTools, HELD_TOOLS_KIND, type HeldTool } from './held-tools';

const HOLDS = defineSlot<ClusterHolds>('mcp-tool-pinning:holds');

export function clusterHoldsOf(runtime: PluginRuntime): ClusterHolds {
  return runtime.keep(HOLDS, () => new ClusterHolds(runtime));
}

export class ClusterHolds {
  private heldFrom: unknown = undefined;
  private held = new Map<string, HeldTool>();
  /** Listed tools pinning withheld; tools/call it refused. */
  readonly withheld: { inc(): void };
  readonly refusedCalls: { inc(): void };

  constructor(private readonly runtime: PluginRuntime) {
    const registers = [runtime.metrics];
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
    const heldCount = () => this.index().size;
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

  /** The cluster's held tools, indexed once per state the control plane pushed. */
  private index(): Map<string, HeldTool> {
    const state = this.runtime.clusterState(HELD_TOOLS_KIND);
    if (state !== this.heldFrom) {
      this.heldFrom = state;
      // A state of the wrong shape holds nothing extra: each data plane still judges what it lists.
      const held = checkHeldTools.Check(state) ? state.held : [];
      this.held = new Map(held.map((h) => [`${h.route_id}\0${h.name}`, h]));
    }
    return this.held;
  }

  heldInCluster(routeId: string, name: string): HeldTool | undefined {
    return this.index().get(`${routeId}\0${name}`);
  }
}
