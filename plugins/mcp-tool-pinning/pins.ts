/**
 * How mcp-tool-pinning decides, in one place for both planes: the data planes enforce it, the
 * control plane shows and reports it (the MCP tools page, the held list it sends the cluster).
 */
import type { ToolField } from '../../shared/mcp/tool-fingerprint';
import type { PluginConfig } from '../../shared/plugins/definition';
import type { toolPinningPlugin } from './schema';

export type PinningConfig = PluginConfig<typeof toolPinningPlugin>;
export interface RouteRef {
  id: string;
  name?: string | null;
}

/**
 * approved: the approved fingerprint; first_use: no approval for the route yet and first use is
 * trusted; changed: approved, but the tool now differs; new: never approved (a tool added
 * later, or first use held).
 */
export type PinState = 'approved' | 'first_use' | 'changed' | 'new';

export const isHeld = (s: PinState) => s === 'changed' || s === 'new';

export interface Pins {
  readonly fields: readonly ToolField[];
  readonly enforce: boolean;
  approvedFor(route: RouteRef, tool: string): string | undefined;
  /** Any approval applies to the route (then first use is over). */
  hasBaseline(route: RouteRef): boolean;
  /** The state of `tool` whose current fingerprint (under `fields`) is `current`, if known. */
  stateOf(route: RouteRef, tool: string, current: string | undefined): PinState;
}

export function pinsOf(c: PinningConfig): Pins {
  const approved = new Map<string, string>();
  const routesWithBaseline = new Set<string>();
  for (const a of c.approved_tools) {
    approved.set(`${a.route ?? ''}\0${a.name}`, a.fingerprint);
    routesWithBaseline.add(a.route ?? '');
  }
  const keysOf = (route: RouteRef) => (route.name ? [route.id, route.name, ''] : [route.id, '']);
  const approvedFor = (route: RouteRef, tool: string) => {
    for (const k of keysOf(route)) {
      const fp = approved.get(`${k}\0${tool}`);
      if (fp !== undefined) return fp;
    }
    return undefined;
  };
  const hasBaseline = (route: RouteRef) => keysOf(route).some((k) => routesWithBaseline.has(k));
  return {
    fields: c.fingerprint_fields as ToolField[],
    enforce: c.mode === 'enforce',
    approvedFor,
    hasBaseline,
    stateOf(route, tool, current) {
      const fp = approvedFor(route, tool);
      if (fp !== undefined) return current === undefined || current === fp ? 'approved' : 'changed';
      return !hasBaseline(route) && c.first_use === 'trust' ? 'first_use' : 'new';
    },
  };
}

/** The JSON-RPC error message of a refused tools/call. */
export function heldMessage(tool: string, state: PinState, changed: readonly string[] = []): string {
  return state === 'changed'
    ? `Tool '${tool}' changed upstream since it was approved${
        changed.length ? ` (${changed.join(', ')})` : ''
      } and is awaiting approval`
    : `Tool '${tool}' is new on this server and awaiting approval`;
}
