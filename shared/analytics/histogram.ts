/**
 * Latency histograms that merge by addition, so percentiles stay computable from rollups:
 * log-scale buckets, 4 per power of two of microseconds (bucket width ~19 %, error ≤ ~9 %),
 * from 1 µs to ~33 s (the last bucket holds everything above).
 */
const BUCKETS_PER_OCTAVE = 4;
const BUCKET_COUNT = 100;

export function bucketOf(ms: number): number {
  const us = Math.max(1, ms * 1000);
  return Math.min(BUCKET_COUNT - 1, Math.floor(Math.log2(us) * BUCKETS_PER_OCTAVE));
}

/** A representative value of a bucket (its geometric middle), in ms. */
function bucketValue(i: number): number {
  return 2 ** ((i + 0.5) / BUCKETS_PER_OCTAVE) / 1000;
}

/** Percentile (0..100) of a histogram, or null when it is empty. */
export function percentile(h: readonly number[], p: number): number | null {
  let total = 0;
  for (const c of h) total += Number(c) || 0;
  if (!total) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += Number(h[i]) || 0;
    if (seen >= rank) return Math.round(bucketValue(i) * 1000) / 1000;
  }
  return null;
}
