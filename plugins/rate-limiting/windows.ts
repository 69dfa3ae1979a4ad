/** Kong's fixed windows, aligned in UTC: the start and the end of the one `now` falls in. */
import type { Period } from './schema';

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
