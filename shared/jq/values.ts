/**
 * jq's value model on plain JSON values: type names, truthiness, the total order, and
 * prototype-safe object access (keys like `__proto__` come from requests).
 */

/** A runtime error raised by a filter; `value` is what `try … catch .` sees. */
export class JqError extends Error {
  constructor(readonly value: unknown) {
    super(typeof value === 'string' ? value : `${JSON.stringify(value)} (not a string)`);
  }
}

export type JqType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

export function typeOf(v: unknown): JqType {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  const t = typeof v;
  if (t === 'boolean' || t === 'number' || t === 'string') return t;
  return 'object';
}

export const truthy = (v: unknown): boolean => v !== null && v !== false && v !== undefined;

export function hasKey(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

export function getKey(obj: Record<string, unknown>, key: string): unknown {
  return hasKey(obj, key) ? obj[key] : null;
}

/** Assignment that treats `__proto__` as an ordinary key. */
export function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

export function newObject(): Record<string, unknown> {
  return {};
}

const ORDER: Record<JqType, number> = { null: 0, boolean: 1, number: 2, string: 3, array: 4, object: 5 };

/** Code point order (jq compares UTF-8 bytes), not UTF-16 unit order. */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort above the rest of the BMP in code point order.
    if (x >= 0xd800 && x <= 0xdfff) x += 0x2000;
    else if (x >= 0xe000) x -= 0x800;
    if (y >= 0xd800 && y <= 0xdfff) y += 0x2000;
    else if (y >= 0xe000) y -= 0x800;
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function sortedKeys(obj: object): string[] {
  return Object.keys(obj).sort(compareStrings);
}

export function compare(a: unknown, b: unknown): number {
  const ta = typeOf(a);
  const tb = typeOf(b);
  if (ta !== tb) return ORDER[ta] < ORDER[tb] ? -1 : 1;
  switch (ta) {
    case 'null':
      return 0;
    case 'boolean':
      return a === b ? 0 : a ? 1 : -1;
    case 'number':
      return (a as number) < (b as number) ? -1 : (a as number) === (b as number) ? 0 : 1;
    case 'string':
      return compareStrings(a as string, b as string);
    case 'array': {
      const x = a as unknown[];
      const y = b as unknown[];
      for (let i = 0; i < x.length && i < y.length; i++) {
        const c = compare(x[i], y[i]);
        if (c) return c;
      }
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
    }
    default: {
      // Objects: first by their sorted key sets, then value by value in key order.
      const ka = sortedKeys(a as object);
      const kb = sortedKeys(b as object);
      const c = compare(ka, kb);
      if (c) return c;
      for (const k of ka) {
        const d = compare((a as any)[k], (b as any)[k]);
        if (d) return d;
      }
      return 0;
    }
  }
}

export const equals = (a: unknown, b: unknown): boolean => a === b || compare(a, b) === 0;

/** jq's compact encoding (`tojson`, `tostring`, string interpolation). */
export function toJson(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(JSON.stringify(numberToJson(v) ?? v));
  return (
    JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? numberToJson(x) : x)) ??
    'null'
  );
}

function numberToJson(x: number): number | null {
  if (Number.isFinite(x)) return x;
  if (Number.isNaN(x)) return null;
  return x > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
}

/** Short description used in jq's error messages: `object ({"a":1})`. */
export function describe(v: unknown): string {
  let text = toJson(v);
  if (text.length > 11) text = text.slice(0, 10) + '...';
  return `${typeOf(v)} (${text})`;
}

export function codepointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) i++;
    n++;
  }
  return n;
}
