/** jq's operators and path primitives on JSON values; nothing here mutates its inputs. */
import {
  JqError,
  codepointLength,
  compare,
  describe,
  equals,
  getKey,
  hasKey,
  newObject,
  setKey,
  typeOf,
} from './values';

export type PathKey = string | number;

export function add(l: any, r: any): unknown {
  if (l === null) return r;
  if (r === null) return l;
  const tl = typeOf(l);
  const tr = typeOf(r);
  if (tl === tr) {
    if (tl === 'number' || tl === 'string') return l + r;
    if (tl === 'array') return [...l, ...r];
    if (tl === 'object') {
      const out = newObject();
      for (const k of Object.keys(l)) setKey(out, k, l[k]);
      for (const k of Object.keys(r)) setKey(out, k, r[k]);
      return out;
    }
  }
  throw new JqError(`${describe(l)} and ${describe(r)} cannot be added`);
}

export function subtract(l: any, r: any): unknown {
  const tl = typeOf(l);
  if (tl === 'number' && typeof r === 'number') return l - r;
  if (tl === 'array' && Array.isArray(r)) return (l as unknown[]).filter((x) => !r.some((y) => equals(x, y)));
  throw new JqError(`${describe(l)} and ${describe(r)} cannot be subtracted`);
}

function deepMerge(l: Record<string, any>, r: Record<string, any>): Record<string, unknown> {
  const out = newObject();
  for (const k of Object.keys(l)) setKey(out, k, l[k]);
  for (const k of Object.keys(r)) {
    const a = getKey(out, k);
    const b = r[k];
    setKey(out, k, typeOf(a) === 'object' && typeOf(b) === 'object' ? deepMerge(a as any, b) : b);
  }
  return out;
}

export function multiply(l: any, r: any): unknown {
  const tl = typeOf(l);
  const tr = typeOf(r);
  if (tl === 'number' && tr === 'number') return l * r;
  if ((tl === 'string' && tr === 'number') || (tl === 'number' && tr === 'string')) {
    const [s, n] = tl === 'string' ? [l as string, r as number] : [r as string, l as number];
    if (!(n > 0)) return null;
    return s.repeat(Math.max(1, Math.floor(n)));
  }
  if (tl === 'object' && tr === 'object') return deepMerge(l, r);
  throw new JqError(`${describe(l)} and ${describe(r)} cannot be multiplied`);
}

export function divide(l: any, r: any): unknown {
  if (typeof l === 'number' && typeof r === 'number') {
    if (r === 0)
      throw new JqError(`${describe(l)} and ${describe(r)} cannot be divided because the divisor is zero`);
    return l / r;
  }
  if (typeof l === 'string' && typeof r === 'string') return splitString(l, r);
  throw new JqError(`${describe(l)} and ${describe(r)} cannot be divided`);
}

export function modulo(l: any, r: any): unknown {
  if (typeof l === 'number' && typeof r === 'number') {
    const b = Math.trunc(r);
    if (b === 0)
      throw new JqError(`${describe(l)} and ${describe(r)} cannot be divided because the divisor is zero`);
    const out = Math.trunc(l) % b;
    return out === 0 ? 0 : out;
  }
  throw new JqError(`${describe(l)} and ${describe(r)} cannot be divided`);
}

export function splitString(s: string, sep: string): string[] {
  if (s === '') return [];
  if (sep === '') return Array.from(s);
  return s.split(sep);
}

export function negate(v: unknown): number {
  if (typeof v !== 'number') throw new JqError(`${describe(v)} cannot be negated`);
  return -v;
}

/** `.[k]` / `.k`: null in, null out; wrong types are errors. */
export function index(t: any, k: unknown): unknown {
  if (typeof k === 'string') {
    if (t === null) return null;
    if (typeOf(t) === 'object') return getKey(t, k);
    throw new JqError(`Cannot index ${typeOf(t)} with "${k}"`);
  }
  if (typeof k === 'number') {
    if (t === null) return null;
    if (Array.isArray(t)) {
      if (Number.isNaN(k)) return null;
      let i = Math.floor(k);
      if (i < 0) i += t.length;
      return i >= 0 && i < t.length ? t[i] : null;
    }
    throw new JqError(`Cannot index ${typeOf(t)} with number`);
  }
  if (t === null && (k === null || typeOf(k) === 'object')) return null;
  throw new JqError(`Cannot index ${typeOf(t)} with ${typeOf(k)}`);
}

export function slice(t: any, from: unknown, to: unknown): unknown {
  if (t === null) return null;
  if ((from !== null && typeof from !== 'number') || (to !== null && typeof to !== 'number'))
    throw new JqError('Start and end indices of an array slice must be numbers');
  const isString = typeof t === 'string';
  if (!isString && !Array.isArray(t)) throw new JqError(`Cannot index ${typeOf(t)} with object`);
  const items: any = isString && /[\ud800-\udfff]/.test(t) ? Array.from(t) : t;
  const len = items.length;
  let start = from === null ? 0 : (from as number);
  let end = to === null ? len : (to as number);
  if (start < 0) start += len;
  if (end < 0) end += len;
  start = Math.min(Math.max(start, 0), len);
  end = Math.min(end, len);
  if (end < start) end = start;
  const s = Math.floor(start);
  const e = Math.ceil(end);
  if (isString) return items === t ? t.slice(s, e) : items.slice(s, e).join('');
  return items.slice(s, e);
}

export function iterate(v: any, emit: (x: unknown) => void): void {
  if (Array.isArray(v)) {
    for (const x of v) emit(x);
  } else if (typeOf(v) === 'object') {
    for (const k of Object.keys(v)) emit(v[k]);
  } else throw new JqError(`Cannot iterate over ${v === null ? 'null' : describe(v)}`);
}

export function length(v: unknown): number {
  switch (typeOf(v)) {
    case 'null':
      return 0;
    case 'boolean':
      throw new JqError(`${describe(v)} has no length`);
    case 'number':
      return Math.abs(v as number);
    case 'string':
      return codepointLength(v as string);
    case 'array':
      return (v as unknown[]).length;
    default:
      return Object.keys(v as object).length;
  }
}

export function getpath(v: unknown, path: unknown): unknown {
  if (!Array.isArray(path)) throw new JqError('Path must be specified as an array');
  let cur = v;
  for (const k of path) {
    if (cur === null) return null;
    cur = index(cur, k);
  }
  return cur;
}

export function setpath(v: unknown, path: readonly unknown[], value: unknown, at = 0): unknown {
  if (at === path.length) return value;
  const k = path[at];
  if (typeof k === 'string') {
    if (v !== null && typeOf(v) !== 'object') throw new JqError(`Cannot index ${typeOf(v)} with "${k}"`);
    const out = newObject();
    if (v) for (const key of Object.keys(v)) setKey(out, key, (v as any)[key]);
    setKey(out, k, setpath(v ? getKey(v as any, k) : null, path, value, at + 1));
    return out;
  }
  if (typeof k === 'number') {
    if (v !== null && !Array.isArray(v)) throw new JqError(`Cannot index ${typeOf(v)} with number`);
    const arr = v ? [...(v as unknown[])] : [];
    let i = Math.floor(k);
    if (i < 0) {
      i += arr.length;
      if (i < 0) throw new JqError('Out of bounds negative array index');
    }
    const cur = i < arr.length ? arr[i] : null;
    while (arr.length < i) arr.push(null);
    arr[i] = setpath(cur, path, value, at + 1);
    return arr;
  }
  throw new JqError(`Cannot update field at object index of ${typeOf(v)}`);
}

export function delpaths(v: unknown, paths: unknown[][]): unknown {
  const sorted = [...paths].sort(compare).reverse();
  let out = v;
  for (const p of sorted) out = delpath(out, p);
  return out;
}

function delpath(v: unknown, path: readonly unknown[], at = 0): unknown {
  if (v === null) return null;
  if (at === path.length - 1) {
    const k = path[at];
    if (typeof k === 'string') {
      if (typeOf(v) !== 'object') throw new JqError(`Cannot delete field at object index of ${typeOf(v)}`);
      const out = newObject();
      for (const key of Object.keys(v as object)) if (key !== k) setKey(out, key, (v as any)[key]);
      return out;
    }
    if (typeof k === 'number') {
      if (!Array.isArray(v)) throw new JqError(`Cannot delete field at index of ${typeOf(v)}`);
      let i = Math.floor(k);
      if (i < 0) i += v.length;
      if (i < 0) return v;
      return i < v.length ? [...v.slice(0, i), ...v.slice(i + 1)] : v;
    }
    throw new JqError(`Cannot delete field at index of ${typeOf(v)}`);
  }
  if (path.length === 0) return null;
  const k = path[at] as PathKey;
  const child = index(v, k);
  if (child === null) return v;
  return setpath(v, [k], delpath(child, path, at + 1));
}

export function contains(a: unknown, b: unknown): boolean {
  if (typeOf(a) !== typeOf(b))
    throw new JqError(`${describe(a)} and ${describe(b)} cannot have their containment checked`);
  return containsValue(a, b);
}

/** Below the top level a type mismatch is just "not contained". */
function containsValue(a: unknown, b: unknown): boolean {
  const ta = typeOf(a);
  if (ta !== typeOf(b)) return false;
  if (ta === 'object') {
    return Object.keys(b as object).every(
      (k) => hasKey(a as object, k) && containsValue((a as any)[k], (b as any)[k]),
    );
  }
  if (ta === 'array') return (b as unknown[]).every((y) => (a as unknown[]).some((x) => containsValue(x, y)));
  if (ta === 'string') return (a as string).includes(b as string);
  return equals(a, b);
}
