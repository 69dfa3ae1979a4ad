/**
 * The MCP guard chain: every check that decides whether a tool may be called or seen, in one
 * fixed order that no plugin `ordering` changes — the tool's name (exact, visible ASCII: a near
 * miss is `refused`), the route's tool ACLs (`denied`), then the gates other plugins add for the
 * request (mcp-tool-pinning: `held`). ai-mcp-proxy runs it for every tools/call before it is
 * forwarded (and again if a later plugin changed the body) and for every tool of every list the
 * upstream sends back; the first guard to refuse a call decides its answer.
 *
 * (The third stage, responses, is not a tool decision: every answer is parsed and re-written
 * before any of this runs — response-inspector.ts.)
 */
import type { RequestContextApi } from '../runtime/plugin-api';
import { defineSlot } from '../runtime/slots';

export type Refusal = 'refused' | 'denied' | 'held';

export interface ToolGuard {
  /** What a refusal by this guard is, in metrics and audits. */
  readonly refusal: Refusal;
  /** Why a tools/call to `tool` is refused (never forwarded), or null. */
  callRefusal(tool: string): string | null;
  /** May the caller see this listed tool (`tool` as the upstream sent it)? */
  listed(name: string, tool: Record<string, unknown>): boolean;
  /**
   * Names this guard vouches for beyond what the route configures or this process saw listed (a
   * bounded set: pinning's cluster-held tools), so metrics may label calls with them.
   */
  knows?(tool: string): boolean;
}

export type CallVerdict = { decision: 'allowed' } | { decision: Refusal; message: string };

export interface GuardChain {
  judgeCall(tool: string): CallVerdict;
  listed(name: string, tool: Record<string, unknown>): boolean;
  knows(tool: string): boolean;
}

const ALLOWED: CallVerdict = { decision: 'allowed' };

export function guardChain(guards: readonly ToolGuard[]): GuardChain {
  return {
    judgeCall(tool) {
      for (const g of guards) {
        const message = g.callRefusal(tool);
        if (message !== null) return { decision: g.refusal, message };
      }
      return ALLOWED;
    },
    listed: (name, tool) => guards.every((g) => g.listed(name, tool)),
    knows: (tool) => guards.some((g) => g.knows?.(tool) === true),
  };
}

const GATES = defineSlot<ToolGuard[]>('mcp:tool-gates');

/**
 * A gate another plugin adds to this request's chain (after the name and the ACLs). Only from
 * an access phase that runs before ai-mcp-proxy's, which the order rules guarantee for the
 * plugins that add one (shared/plugins/order-rules.ts).
 */
export function addToolGate(ctx: RequestContextApi, gate: ToolGuard): void {
  ctx.slots.keep(GATES, () => []).push(gate);
}

export function toolGatesOf(ctx: RequestContextApi): readonly ToolGuard[] {
  return ctx.slots.get(GATES) ?? [];
}
