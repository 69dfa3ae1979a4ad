/**
 * The quotas of one configured plugin: which limits a call falls under (its tool, its caller),
 * the counters it needs (one per limit, tool — or every tool for `*` — caller and window), and
 * one take for all of a request's calls: every counter within its limit after adding what the
 * calls need, or nothing counted and the calls over a limit refused, with the time until their
 * window ends.
 */
import type { RequestContextApi } from '../../data-plane/runtime/plugin-api';
import type { AdmissionRefusal } from '../../data-plane/mcp/guard-chain';
import type { Static } from '@sinclair/typebox';
import type { aiMcpRateLimitingPlugin } from './schema';
import { EXPIRATION, PERIODS, windowOf, type Period } from '../lib/windows';
import { LOCAL_COUNTERS } from '../lib/local-counters';
import { takeInRedis, type Client } from '../lib/redis-counters';

type Config = Static<(typeof aiMcpRateLimitingPlugin)['schema']>;
type Limit = Config['limits'][number];

interface Counter {
  key: string;
  limit: number;
  period: Period;
  end: number;
  amount: number;
  /** The calls (by index) that need it, and the tool named in the answer. */
  calls: number[];
  tool: string;
}

export class Quotas {
  constructor(
    private readonly c: Config,
    private readonly redis: Client | null,
  ) {}

  private applies(l: Limit, tool: string, ctx: RequestContextApi): boolean {
    if (!l.tools.includes('*') && !l.tools.includes(tool)) return false;
    if (!l.consumers && !l.consumer_groups) return true;
    const consumer = ctx.consumer;
    if (consumer && l.consumers?.some((n) => n === consumer.username || n === consumer.id)) return true;
    return ctx.consumerGroups.some((g) => l.consumer_groups?.includes(String(g.name)) === true);
  }

  /** Whose counter (Kong's limit_by, falling back to the client IP). */
  private identifier(l: Limit, ctx: RequestContextApi): string {
    const ip = ctx.req.socket.remoteAddress ?? '';
    switch (this.c.limit_by) {
      case 'consumer':
        return ctx.consumer?.id ?? ctx.credential?.id ?? ip;
      case 'credential':
        return ctx.credential?.id ?? ip;
      case 'consumer-group': {
        const named = ctx.consumerGroups.find((g) => l.consumer_groups?.includes(String(g.name)));
        return (named ?? ctx.consumerGroups[0])?.id ?? ip;
      }
      default:
        return ip;
    }
  }

  private counters(ctx: RequestContextApi, tools: readonly string[], now: number): Map<string, Counter> {
    const counters = new Map<string, Counter>();
    tools.forEach((tool, call) => {
      this.c.limits.forEach((l, j) => {
        if (!this.applies(l, tool, ctx)) return;
        const counted = l.tools.includes('*') ? '*' : tool;
        const who = this.identifier(l, ctx);
        for (const period of PERIODS) {
          const limit = l[period];
          if (limit == null) continue;
          const w = windowOf(period, now);
          const key = `mcpquota:${ctx.route.id}:${j}:${counted}:${who}:${w.start}:${period}`;
          const counter = counters.get(key) ?? {
            key,
            limit,
            period,
            end: w.end,
            amount: 0,
            calls: [],
            tool: counted,
          };
          counter.amount++;
          counter.calls.push(call);
          counters.set(key, counter);
        }
      });
    });
    return counters;
  }

  async admit(ctx: RequestContextApi, tools: readonly string[]): Promise<(AdmissionRefusal | null)[]> {
    const now = Date.now();
    const counters = [...this.counters(ctx, tools, now).values()];
    const verdicts: (AdmissionRefusal | null)[] = tools.map(() => null);
    if (!counters.length) return verdicts;
    let used: number[];
    if (this.redis) {
      const takes = counters.map((k) => ({
        key: k.key,
        limit: k.limit,
        expiry: EXPIRATION[k.period],
        amount: k.amount,
      }));
      used = (await takeInRedis(this.redis, takes)).used;
    } else {
      used = counters.map((k) => LOCAL_COUNTERS.get(k.key, k.end));
      if (counters.every((k, i) => used[i] + k.amount <= k.limit))
        for (const k of counters) LOCAL_COUNTERS.increment(k.key, k.end, now, k.amount);
    }
    counters.forEach((k, i) => {
      if (used[i] + k.amount <= k.limit) return;
      const retryAfter = Math.max(1, Math.ceil((k.end - now) / 1000));
      const what = k.tool === '*' ? 'tool calls' : `calls of '${k.tool}'`;
      const message = `${this.c.error_message}: ${k.limit} ${what} per ${k.period}; try again in ${retryAfter} s`;
      for (const call of k.calls)
        if (!verdicts[call] || verdicts[call]!.retryAfter < retryAfter)
          verdicts[call] = { message, retryAfter };
    });
    return verdicts;
  }
}
