/**
 * Per-tool call counters on a data plane's /metrics: every tools/call ai-mcp-proxy judged, by
 * route, tool and decision (`allowed`, `denied` by an ACL, `held` by tool pinning, `refused`:
 * a name that cannot be judged, `limited`: over its quota). A tool label is only ever a name the gateway knows (configured,
 * or listed by the upstream): any other name a client sends counts as `(unknown)`, so clients
 * cannot grow the series without bound. One per process (`mcpMetricsOf`).
 */
import { Counter } from 'prom-client';
import type { PluginRuntime } from '../runtime/plugin-api';
import { defineSlot } from '../runtime/slots';

export type ToolDecision = 'allowed' | 'denied' | 'held' | 'refused' | 'limited';

export class McpMetrics {
  private readonly calls: Counter<'route' | 'tool' | 'decision'>;

  constructor(runtime: PluginRuntime) {
    this.calls = new Counter({
      name: 'tollgate_mcp_tool_calls_total',
      help: 'tools/call requests judged by ai-mcp-proxy, by route, tool and decision',
      labelNames: ['route', 'tool', 'decision'],
      registers: [runtime.metrics],
    });
  }

  toolCall(route: string, tool: string | null, decision: ToolDecision): void {
    this.calls.inc({ route, tool: tool ?? '(unknown)', decision });
  }
}

const METRICS = defineSlot<McpMetrics>('mcp:metrics');

export function mcpMetricsOf(runtime: PluginRuntime): McpMetrics {
  return runtime.keep(METRICS, () => new McpMetrics(runtime));
}
