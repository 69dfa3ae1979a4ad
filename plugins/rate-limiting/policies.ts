/**
 * Where rate-limiting counts: `local` (this process's memory) or `redis` (one Redis every
 * worker and data plane shares, Kong's keys `ratelimit:<route>:<service>:<identifier>:<window
 * start>:<period>`). Both answer the same question for one request: how much of each window was
 * used before it, and whether it may pass; a request that may pass is counted in every window,
 * one that may not is counted in none.
 */
import { EXPIRATION, windowOf, type Period } from '../lib/windows';
import { LOCAL_COUNTERS } from '../lib/local-counters';
import { takeInRedis, type Client } from '../lib/redis-counters';

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

type Limits = { period: Period; limit: number }[];

export function takeLocally(who: string, limits: Limits, now: number): Take {
  const windows = limits.map(({ period, limit }) => {
    const w = windowOf(period, now);
    return { period, limit, start: w.start, end: w.end, key: `${who}|${period}`, used: 0 };
  });
  for (const w of windows) w.used = LOCAL_COUNTERS.get(w.key, w.end);
  const allowed = windows.every((w) => w.used < w.limit);
  if (allowed) for (const w of windows) LOCAL_COUNTERS.increment(w.key, w.end, now);
  return { allowed, windows };
}

/** `who`: Kong's `<route>:<service>:<identifier>` of the request. */
export async function takeFromRedis(client: Client, who: string, limits: Limits, now: number): Promise<Take> {
  const windows = limits.map(({ period, limit }) => ({
    period,
    limit,
    start: windowOf(period, now).start,
    used: 0,
  }));
  const { allowed, used } = await takeInRedis(
    client,
    windows.map((w) => ({
      key: `ratelimit:${who}:${w.start}:${w.period}`,
      limit: w.limit,
      expiry: EXPIRATION[w.period],
      amount: 1,
    })),
  );
  windows.forEach((w, i) => (w.used = used[i]));
  return { allowed, windows };
}
