/**
 * Kong's transformer operations on headers, query strings and JSON/form bodies, in Kong's
 * order: remove → rename → replace → add → append.
 */
import type { HeaderMap } from '../../data-plane/runtime/plugin-api';

/** `name:value`, split on the first colon. */
export function splitPair(entry: string): [string, string] {
  const i = entry.indexOf(':');
  return [entry.slice(0, i), entry.slice(i + 1)];
}

export interface HeaderOps {
  remove: string[];
  rename: string[];
  replace: string[];
  add: string[];
  append: string[];
}

const PROTECTED = /^x-forwarded-/;

export function transformHeaders(
  headers: HeaderMap,
  ops: HeaderOps,
  render: (v: string) => string,
  request: boolean,
) {
  for (const name of ops.remove) delete headers[name.toLowerCase()];
  for (const entry of ops.rename) {
    const [from, to] = splitPair(entry).map((s) => s.toLowerCase());
    if (headers[from] === undefined) continue;
    headers[to] = headers[from];
    delete headers[from];
  }
  for (const entry of ops.replace) {
    const [name, value] = splitPair(entry);
    const k = name.toLowerCase();
    if (request && PROTECTED.test(k)) continue;
    if (headers[k] !== undefined || (request && k === 'host')) headers[k] = render(value);
  }
  for (const entry of ops.add) {
    const [name, value] = splitPair(entry);
    const k = name.toLowerCase();
    if ((request && (PROTECTED.test(k) || k === 'host')) || headers[k] !== undefined) continue;
    headers[k] = render(value);
  }
  for (const entry of ops.append) {
    const [name, value] = splitPair(entry);
    const k = name.toLowerCase();
    if (request && PROTECTED.test(k)) continue;
    const prev = headers[k];
    const v = render(value);
    headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
}

export function transformQuery(q: URLSearchParams, ops: HeaderOps, render: (v: string) => string) {
  for (const name of ops.remove) q.delete(name);
  for (const entry of ops.rename) {
    const [from, to] = splitPair(entry);
    if (!q.has(from)) continue;
    const values = q.getAll(from);
    q.delete(from);
    for (const v of values) q.append(to, v);
  }
  for (const entry of ops.replace) {
    const [name, value] = splitPair(entry);
    if (q.has(name)) q.set(name, render(value));
  }
  for (const entry of ops.add) {
    const [name, value] = splitPair(entry);
    if (!q.has(name)) q.set(name, render(value));
  }
  for (const entry of ops.append) {
    const [name, value] = splitPair(entry);
    q.append(name, render(value));
  }
}

/** Cast per Kong's `json_types` (parallel to the entries by index). */
export function castJson(value: string, type: string | undefined): unknown {
  if (type === 'number') {
    const n = Number(value);
    return Number.isNaN(n) ? null : n;
  }
  if (type === 'boolean') return value === 'true';
  if (type === 'string') return value;
  // No type: a JSON-quoted string is unquoted (Kong's response transformer); else the text.
  if (/^".*"$/s.test(value)) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

/** Path navigation for `dots_in_keys: false` (`a.b`, `arr[*]`, `arr[1]` 1-based). */
function pathOf(key: string, dots: boolean): (string | number | '*')[] {
  if (dots) return [key];
  const out: (string | number | '*')[] = [];
  for (const part of key.split('.')) {
    const m = /^([^[]*)((?:\[(?:\*|\d+)\])*)$/.exec(part);
    if (!m) return [key];
    if (m[1]) out.push(m[1]);
    for (const idx of m[2].match(/\[(\*|\d+)\]/g) ?? []) {
      const v = idx.slice(1, -1);
      out.push(v === '*' ? '*' : Number(v) - 1);
    }
  }
  return out;
}

/** Visit the parents of `key` in `obj`: fn(parent, lastSegment). */
function visit(obj: any, key: string, dots: boolean, fn: (parent: any, last: string | number) => void) {
  const path = pathOf(key, dots);
  const walk = (node: any, i: number) => {
    if (node === null || typeof node !== 'object') return;
    const seg = path[i];
    if (i === path.length - 1) {
      if (seg === '*') {
        if (Array.isArray(node)) node.forEach((_, j) => fn(node, j));
      } else fn(node, seg);
      return;
    }
    if (seg === '*') {
      if (Array.isArray(node)) node.forEach((child) => walk(child, i + 1));
    } else walk(node[seg], i + 1);
  };
  walk(obj, 0);
}

export interface JsonOps {
  remove: string[];
  rename?: string[];
  replace: string[];
  replaceTypes: string[];
  add: string[];
  addTypes: string[];
  append: string[];
  appendTypes: string[];
  allow?: string[] | null;
  dots: boolean;
}

/** Apply the ops to a JSON object in place (values already rendered by the caller). */
export function transformJson(
  obj: Record<string, any>,
  ops: JsonOps,
  render: (v: string) => string = (v) => v,
) {
  for (const key of ops.remove)
    visit(obj, key, ops.dots, (p, last) => (Array.isArray(p) ? p.splice(Number(last), 1) : delete p[last]));
  for (const entry of ops.rename ?? []) {
    const [from, to] = splitPair(entry);
    if (from in obj) {
      obj[to] = obj[from];
      delete obj[from];
    }
  }
  ops.replace.forEach((entry, i) => {
    const [k, v] = splitPair(entry);
    visit(obj, k, ops.dots, (p, last) => {
      if (p[last] !== undefined && p[last] !== null) p[last] = castJson(render(v), ops.replaceTypes[i]);
    });
  });
  ops.add.forEach((entry, i) => {
    const [k, v] = splitPair(entry);
    visit(obj, k, ops.dots, (p, last) => {
      if (p[last] === undefined || p[last] === null) p[last] = castJson(render(v), ops.addTypes[i]);
    });
  });
  ops.append.forEach((entry, i) => {
    const [k, v] = splitPair(entry);
    visit(obj, k, ops.dots, (p, last) => {
      const value = castJson(render(v), ops.appendTypes[i]);
      const prev = p[last];
      p[last] =
        prev === undefined || prev === null
          ? [value]
          : Array.isArray(prev)
            ? [...prev, value]
            : [prev, value];
    });
  });
  if (ops.allow) {
    const keep = new Set(ops.allow);
    for (const k of Object.keys(obj)) if (!keep.has(k)) delete obj[k];
  }
}

/** `if_status` entries: "500" or "400-499"; an empty list matches every status. */
export function statusMatcher(list: string[] | undefined): (status: number) => boolean {
  if (!list?.length) return () => true;
  const ranges = list.map((e) => {
    const [a, b] = e.split('-').map(Number);
    return [a, b ?? a] as const;
  });
  return (s) => ranges.some(([a, b]) => s >= a && s <= b);
}
