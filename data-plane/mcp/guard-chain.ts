/**
 * The MCP guard chain: every check that decides whether a tool may be called or seen, in one
 * fixed order that no plugin `ordering` changes — the tool's name (exact, visible ASCII: a near
 * miss is `refused`), the route's tool ACLs (`denied`), then the gates other plugins add for the
 * request (mcp-tool-pinning: `held`). ai-mcp-proxy runs it for every tools/call before it is
 * forwarded (and again if a later plugin changed the body) and for every tool of every list the
 * upstream sends back; the first guard to refuse a call decides its answer.
 *
 * After every guard allowed every call of a request, the admissions counted (ai-mcp-rate-limiting:
 * `limited`): all of the request's calls at once, counted only if all are admitted, so a batch
 * refused for one call costs none of the others.
 *
 * (The third stage, responses, is not a tool decision: every answer is parsed and re-written
 * before any of this runs — response-inspector.ts.)
 */
import type { RequestContextApi } from '../runtime/plugin-api';
import { defineSlot } from '../runtime/slots';
import { exchangeOf } from './exchange';
import { JSONRPC_ERRORS, jsonRpcError } from './jsonrpc';

/** What a guard refuses as; an admission (a quota) refuses as `limited`. */
export type GuardRefusal = 'refused' | 'denied' | 'held';
export type Refusal = GuardRefusal | 'limited';

export interface ToolGuard {
  /** What a refusal by this guard is, in metrics and audits. */
  readonly refusal: GuardRefusal;
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

export type CallVerdict =
  | { decision: 'allowed' }
  | { decision: GuardRefusal; message: string }
  | { decision: 'limited'; message: string; retryAfter: number };

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

/** Why a call was not admitted: the agent's answer (a tool error) and when to try again. */
export interface AdmissionRefusal {
  message: string;
  /** Seconds until the call would be admitted again. */
  retryAfter: number;
}

/** A counted admission (a quota): consulted once per request, with every call it makes. */
export interface ToolAdmission {
  /**
   * For each call (its tool's name, in order), null when admitted or why not. Every call is
   * counted when all are admitted; none is otherwise. Rejects when it cannot count (a store
   * down, not fault tolerant): the request is then answered with an error, never forwarded.
   */
  admit(tools: readonly string[]): Promise<(AdmissionRefusal | null)[]>;
}

const ADMISSIONS = defineSlot<ToolAdmission[]>('mcp:tool-admissions');

/** An admission another plugin adds to this request (from an access phase before ai-mcp-proxy's). */
export function addToolAdmission(ctx: RequestContextApi, admission: ToolAdmission): void {
  ctx.slots.keep(ADMISSIONS, () => []).push(admission);
}

export function hasToolAdmissions(ctx: RequestContextApi): boolean {
  return (ctx.slots.get(ADMISSIONS)?.length ?? 0) > 0;
}

/**
 * Every admission of the request, in turn: the first refusal of each call stands; when any call
 * is refused, what the others were counted for stays counted only if their own admissions saw
 * all calls admitted (each admission counts all or none of what it was asked).
 */
export async function admitCalls(
  ctx: RequestContextApi,
  tools: readonly string[],
): Promise<(AdmissionRefusal | null)[]> {
  let verdicts: (AdmissionRefusal | null)[] = tools.map(() => null);
  for (const a of ctx.slots.get(ADMISSIONS) ?? []) {
    const more = await a.admit(tools);
    verdicts = verdicts.map((v, i) => v ?? more[i] ?? null);
    if (verdicts.some((v) => v !== null)) break;
  }
  return verdicts;
}

/**
 * A plugin whose gate or admission ai-mcp-proxy applies (tool pinning, quotas), in its
 * beforeUpstream: a request ai-mcp-proxy did not judge would go through unchecked, so it is
 * refused instead.
 */
export function requireJudgedByMcpProxy(ctx: RequestContextApi, plugin: string): void {
  if (exchangeOf(ctx)) return;
  ctx.exit(
    500,
    jsonRpcError(
      null,
      JSONRPC_ERRORS.INTERNAL_ERROR,
      `${plugin} needs ai-mcp-proxy on this route: the request was not forwarded`,
    ),
    { 'content-type': 'application/json' },
  );
}
