/**
 * What this data plane knows of the tools upstreams list, per route: the newest definition seen
 * here (from tools/list replies, before any filtering) and the cluster's view of pinned tools
 * held for approval (from the control plane). It reports observations, deduplicated: a route's
 * list goes out when it differs from the last one reported, or once a minute (last seen), with
 * each definition the first time its fingerprint is reported for the route.
 */
import {
  fingerprint,
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

export class ToolInventory {
  private readonly seen = new Map<string, SeenTool>();
  private readonly lastReport = new Map<string, { signature: string; at: number }>();
  private readonly reported = new Set<string>();
  private held = new Map<string, HeldTool>();
  /** Where observations go (the analytics spool); none: nothing is reported. */
  sink?: (observation: ToolObservation) => void;
  // Counters for /metrics (data-plane/status/metrics.ts).
  /** Tools whose definition changed since this data plane last saw them. */
  changes = 0;
  /** Listed tools mcp-tool-pinning withheld; tools/call it refused. */
  withheld = 0;
  refusedCalls = 0;

  /** A tools/list result from `routeId`'s upstream; `complete`: the whole list in one page. */
  observe(routeId: string, tools: unknown[], complete: boolean, now = Date.now()): void {
    const entries: ToolObservation['tools'] = [];
    for (const t of tools) {
      if (!t || typeof t !== 'object' || typeof (t as any).name !== 'string') continue;
      const name: string = (t as any).name;
      if (!name || name.length > 255) continue;
      const definition = toolDefinition(t as Record<string, unknown>);
      const fp = fingerprint(definition);
      const key = `${routeId}\0${name}`;
      const before = this.seen.get(key);
      if (before && before.fingerprint !== fp) this.changes++;
      if (!before && this.seen.size >= MAX_REMEMBERED) this.seen.clear();
      this.seen.set(key, { definition, fingerprint: fp, seenAt: now });
      entries.push({ name, fingerprint: fp });
    }
    if (!this.sink) return;
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
    this.sink({ route_id: routeId, ts: now, complete, tools: entries });
  }

  /** The newest definition of a tool seen here. */
  local(routeId: string, name: string): SeenTool | undefined {
    return this.seen.get(`${routeId}\0${name}`);
  }

  /** The cluster's held tools, replacing the previous list (the control plane sends it whole). */
  setHeld(held: HeldTool[]): void {
    this.held = new Map(held.map((h) => [`${h.route_id}\0${h.name}`, h]));
  }

  heldInCluster(routeId: string, name: string): HeldTool | undefined {
    return this.held.get(`${routeId}\0${name}`);
  }

  get heldCount(): number {
    return this.held.size;
  }
}
