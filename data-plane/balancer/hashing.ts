/**
 * Kong's consistent-hashing continuum: `slots` points, each target owning a share of them in
 * proportion to its weight (160 per target when weights are equal), placed by hashing
 * `host:port i`; a value hashes to a point and walks down to the first available target. The
 * same config gives every data plane the same ring, so a value reaches the same target fleet-wide.
 */
const SERVER_POINTS = 160;

/** FNV-1a, 32 bits, over the UTF-16 code units (stable, fast, no dependency). */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Continuum<T extends { key: string; weight: number }> {
  private readonly points: (T | undefined)[];

  constructor(targets: T[], slots: number) {
    const size = Math.max(slots, 1000);
    this.points = new Array(size);
    const total = targets.reduce((n, t) => n + t.weight, 0);
    const sorted = [...targets].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const t of sorted) {
      let entries = Math.floor((t.weight / total) * sorted.length * SERVER_POINTS);
      if (t.weight > 0 && entries === 0) entries = 1;
      for (let i = 1, placed = 0; placed < entries && i <= size * 4; i++) {
        const at = hash32(`${t.key} ${i}`) % size;
        if (this.points[at] === undefined) {
          this.points[at] = t;
          placed++;
        }
      }
    }
  }

  /** The first target at or below the value's point that `usable` accepts (Kong walks down). */
  pick(value: string, usable: (t: T) => boolean): T | undefined {
    const size = this.points.length;
    const start = hash32(value) % size;
    for (let n = 0; n < size; n++) {
      const t = this.points[(start - n + size) % size];
      if (t && usable(t)) return t;
    }
    return undefined;
  }
}
