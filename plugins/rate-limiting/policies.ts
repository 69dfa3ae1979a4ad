/**
 * Where rate-limiting counts: `local` (this process's memory, counters.ts) or `redis` (one
 * Redis every worker and data plane shares, redis-counters.ts). Both answer the same question
 * for one request: how much of each window was used before it, and whether it may pass; a
 * request that may pass is counted in every window, one that may not is counted in none.
 */
import type { Period } from './schema';
import { windowOf } from './windows';
import { LOCAL_COUNTERS } from './counters';

export interface WindowUse {
  period: Period;
  limit: number;
  start: number;
  /** Requests counted in this window before this one. */
  used: number;
}

export interface Take {
  allowed: boolean;
  windows: WindowUse[];
}

export interface CountingPolicy {
  take(who: string, limits: { period: Period; limit: number }[], now: number): Take | Promise<Take>;
}

export const localPolicy: CountingPolicy = {
  take(who, limits, now) {
    const windows = limits.map(({ period, limit }) => {
      const w = windowOf(period, now);
      return { period, limit, start: w.start, end: w.end, key: `${who}|${period}`, used: 0 };
    });
    for (const w of windows) w.used = LOCAL_COUNTERS.get(w.key, w.end);
    const allowed = windows.every((w) => w.used < w.limit);
    if (allowed) for (const w of windows) LOCAL_COUNTERS.increment(w.key, w.end, now);
    return { allowed, windows };
  },
};
