/**
 * Counters of the `local` policy (rate-limiting, ai-mcp-rate-limiting): one store per
 * data-plane process, shared by every snapshot so a config change does not reset them (Kong
 * keeps them in a shared dict). Counters are grouped by the end of their window, so an ended
 * window is dropped whole, never walked key by key.
 */
export class LocalCounters {
  /** window end (ms) → counter key → requests counted. */
  private readonly windows = new Map<number, Map<string, number>>();
  private size = 0;

  constructor(private readonly max = 1_000_000) {}

  /** The count of a window before this request. */
  get(key: string, end: number): number {
    return this.windows.get(end)?.get(key) ?? 0;
  }

  increment(key: string, end: number, now: number, amount = 1): void {
    this.dropEnded(now);
    let w = this.windows.get(end);
    if (!w) this.windows.set(end, (w = new Map()));
    const n = w.get(key);
    if (n === undefined) {
      // Full (an identifier flood): refuse to grow; the request counts as its window's first.
      if (this.size >= this.max) return;
      this.size++;
    }
    w.set(key, (n ?? 0) + amount);
  }

  get entries(): number {
    return this.size;
  }

  private dropEnded(now: number): void {
    for (const [end, w] of this.windows) {
      if (end > now) continue;
      this.size -= w.size;
      this.windows.delete(end);
    }
  }
}

/** Every rate-limiting plugin of this process counts here (keys say whose counter). */
export const LOCAL_COUNTERS = new LocalCounters();
