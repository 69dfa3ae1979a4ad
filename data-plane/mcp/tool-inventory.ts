/**
 * What this process knows of the tools upstreams list, per route: the newest definition seen
 * here (from tools/list replies, before any filtering). It reports
 * observations (`mcp_tools` reports), deduplicated: a route's list goes out when it differs
 * from the last one reported, or once a minute (last seen), with each definition the first
 * time its fingerprint is reported for the route. One per process (`toolInventoryOf`).
 */
import { Counter } from 'prom-client';
import type { PluginRuntime } from '../runtime/plugin-api';
import { defineSlot } from '../runtime/slots';
import {
  fingerprint,
  TOOLS_KIND,
  toolDefinition,
  type ToolDefinition,
  type ToolObservation,
} from '../../shared/mcp/tool-fingerprint';

const REFRESH_MS = 60_000;
export const MAX_REMEMBERED = 20_000;
/** One report's JSON at most (the analytics outbox takes up to 1 MiB per report). */
const MAX_REPORT_JSON = 512 * 1024;

export interface SeenTool {
  definition: ToolDefinition;
  /** Over every member (the identity of this version of the tool). */
  fingerprint: string;
  seenAt: number;
}

/** The process's inventory (ai-mcp-proxy observes into it, mcp-tool-pinning reads it). */
/** One inventory per proxying process. */
const INVENTORY = defineSlot<ToolInventory>('mcp:tool-inventory');

export function toolInventoryOf(runtime: PluginRuntime): ToolInventory {
  return runtime.keep(INVENTORY, () => new ToolInventory(runtime));
}

export class ToolInventory {
  private readonly seen = new Map<string, SeenTool>();
  private readonly lastReport = new Map<string, { signature: string; at: number }>();
  private readonly reported = new Set<string>();
  /** The fingerprint (every member) of each listed tool object observed, for later judges. */
  private readonly byObject = new WeakMap<object, string>();
  /** Listed tools whose definition differs from the version this process saw before. */
  readonly changes: { inc(): void };

  constructor(private readonly runtime: PluginRuntime) {
    const registers = [runtime.metrics];
    this.changes = new Counter({
      name: 'tollgate_mcp_tool_changes_total',
      help: 'Listed MCP tools whose definition differed from the version this data plane saw before',
      registers,
    });
  }

  /**
   * A tools/list result from `routeId`'s upstream; `complete`: the whole list in one page.
   * Returns why the list may not be shown (null: observed and reported). Nothing is forgotten to
   * make room: past the memory bound, or when the control plane cannot be told, the list is
   * refused instead, so a changed tool is never shown or called unnoticed.
   */
  observe(routeId: string, tools: unknown[], complete: boolean, now = Date.now()): string | null {
    const listed: { name: string; tool: Record<string, unknown> }[] = [];
    let added = 0;
    for (const t of tools) {
      if (!t || typeof t !== 'object' || typeof (t as any).name !== 'string') continue;
      const name: string = (t as any).name;
      if (!name || name.length > 255) continue;
      listed.push({ name, tool: t as Record<string, unknown> });
      if (!this.seen.has(`${routeId}\0${name}`)) added++;
    }
    if (this.seen.size + added > MAX_REMEMBERED)
      return `The gateway keeps at most ${MAX_REMEMBERED} tools per data plane process and cannot check this list`;
    const entries: ToolObservation['tools'] = [];
    for (const { name, tool } of listed) {
      const definition = toolDefinition(tool);
      const fp = fingerprint(definition);
      this.byObject.set(tool, fp);
      const key = `${routeId}\0${name}`;
      const before = this.seen.get(key);
      if (before && before.fingerprint !== fp) this.changes.inc();
      this.seen.set(key, { definition, fingerprint: fp, seenAt: now });
      entries.push({ name, fingerprint: fp });
    }
    const signature = `${complete ? 1 : 0}|${entries
      .map((e) => `${e.name}=${e.fingerprint}`)
      .sort()
      .join(',')}`;
    const last = this.lastReport.get(routeId);
    if (last && last.signature === signature && now - last.at < REFRESH_MS) return null;
    const firstReports: string[] = [];
    for (const e of entries) {
      const key = `${routeId}\0${e.fingerprint}`;
      if (this.reported.has(key)) continue;
      firstReports.push(key);
      e.definition = this.seen.get(`${routeId}\0${e.name}`)!.definition as Record<string, unknown>;
    }
    const parts = splitObservation({ route_id: routeId, ts: now, complete, tools: entries });
    if (typeof parts === 'string') return parts;
    for (const part of parts)
      if (!this.runtime.report(TOOLS_KIND, part))
        return 'The gateway cannot report this tool list to its control plane now (its outbox is full)';
    this.lastReport.set(routeId, { signature, at: now });
    if (this.reported.size + firstReports.length > MAX_REMEMBERED) this.reported.clear(); // resent: harmless
    for (const k of firstReports) this.reported.add(k);
    return null;
  }

  /** The fingerprint over every member of a listed tool object `observe` saw, if it did. */
  fingerprintOf(tool: object): string | undefined {
    return this.byObject.get(tool);
  }

  /** The newest definition of a tool seen here. */
  local(routeId: string, name: string): SeenTool | undefined {
    return this.seen.get(`${routeId}\0${name}`);
  }

  /** A name this process saw listed: a bounded set of names (for metric labels). */
  knows(routeId: string, name: string): boolean {
    return this.seen.has(`${routeId}\0${name}`);
  }
}

/**
 * An observation as reports that each fit the outbox: a list too large for one is sent in parts,
 * each marked partial (the control plane then infers no removals from it). A single tool too
 * large to report is a reason to refuse the list (a string).
 */
function splitObservation(o: ToolObservation): ToolObservation[] | string {
  const whole = JSON.stringify(o).length;
  if (whole <= MAX_REPORT_JSON) return [o];
  const parts: ToolObservation[] = [];
  let current: ToolObservation['tools'] = [];
  let size = 0;
  for (const t of o.tools) {
    const n = JSON.stringify(t).length + 1;
    if (n > MAX_REPORT_JSON - 200)
      return `Tool ${JSON.stringify(t.name.slice(0, 64))} has a definition too large for the gateway to check`;
    if (size + n > MAX_REPORT_JSON - 200) {
      parts.push({ ...o, complete: false, tools: current });
      current = [];
      size = 0;
    }
    current.push(t);
    size += n;
  }
  if (current.length) parts.push({ ...o, complete: false, tools: current });
  return parts;
}
