/** Kong's fixed windows, aligned in UTC: the start and the end of the one `now` falls in. */

export const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;
export type Period = (typeof PERIODS)[number];

/** Kong's EXPIRATION: a window's length in seconds (`RateLimit-Reset`, counter expiry). */
export const EXPIRATION: Record<Period, number> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86400,
  month: 2592000,
  year: 31536000,
};

const FIXED: Partial<Record<Period, number>> = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

export function windowOf(period: Period, now: number): { start: number; end: number } {
  const size = FIXED[period];
  if (size !== undefined) {
    const start = now - (now % size);
    return { start, end: start + size };
  }
  const d = new Date(now);
  const y = d.getUTCFullYear();
  if (period === 'month') {
    const m = d.getUTCMonth();
    return { start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1) };
  }
  return { start: Date.UTC(y, 0, 1), end: Date.UTC(y + 1, 0, 1) };
}
