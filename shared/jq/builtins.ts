/**
 * jq builtins, by `name/arity`. Each compiles its arguments once; definitions follow jq's
 * builtin.jq/builtin.c so errors and edge cases match the real binary.
 */
import type { Ast } from './ast';
import type { Emit, Env, Filter, FilterCompiler as Compiler, PathFilter } from './filter';
import { modify, recursePaths, recurseValues } from './filter';
import { spend } from './budget';
import * as ops from './ops';
import {
  JqError,
  compare,
  describe,
  equals,
  hasKey,
  newObject,
  setKey,
  sortedKeys,
  toJson,
  truthy,
  typeOf,
} from './values';

type Builtin = (args: Ast[], c: Compiler) => Filter;

/** A builtin computing one value from its input. */
const simple =
  (fn: (v: any) => unknown): Builtin =>
  () =>
  (input, _env, emit) =>
    emit(fn(input));

/** A builtin taking `$value` arguments (each output of each argument, first argument outermost). */
const withValues =
  (fn: (v: any, ...args: any[]) => unknown): Builtin =>
  (args, c) => {
    const fs = args.map((a) => c.value(a));
    return (input, env, emit) => {
      const vals: unknown[] = [];
      const step = (i: number): void => {
        if (i === fs.length) return emit(fn(input, ...vals));
        fs[i](input, env, (v) => {
          vals[i] = v;
          step(i + 1);
        });
      };
      step(0);
    };
  };

/** `f` applied per element, outputs collected (`[f]`). */
function collect(f: Filter, input: unknown, env: Env): unknown[] {
  const out: unknown[] = [];
  f(input, env, (v) => out.push(v));
  return out;
}

function requireString(name: string, v: unknown): string {
  if (typeof v !== 'string') throw new JqError(`${describe(v)} cannot be ${name}, as it is not a string`);
  return v;
}

function values(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeOf(v) === 'object') return Object.keys(v as object).map((k) => (v as any)[k]);
  throw new JqError(`Cannot iterate over ${v === null ? 'null' : describe(v)}`);
}

function keysOf(v: unknown, sorted: boolean): unknown[] {
  if (Array.isArray(v)) return v.map((_x, i) => i);
  if (typeOf(v) === 'object') return sorted ? sortedKeys(v as object) : Object.keys(v as object);
  throw new JqError(`${describe(v)} has no keys`);
}

function toEntries(v: unknown): unknown[] {
  return keysOf(v, false).map((k) => ({ key: k, value: ops.index(v, k) }));
}

/** jq 1.7.1's from_entries: `key` unless null, else k/name/Name/K/Key; non-strings via tojson. */
function fromEntries(v: unknown): unknown {
  const out = newObject();
  for (const e of values(v)) {
    const get = (k: string) => ops.index(e, k);
    let key = get('key');
    if (key === null) {
      for (const name of ['k', 'name', 'Name', 'K', 'Key']) {
        key = get(name);
        if (truthy(key)) break;
      }
    }
    if (typeOf(e) !== 'object' && e !== null)
      throw new JqError(`Cannot check whether ${typeOf(e)} has a string key`);
    const value = e !== null && hasKey(e as object, 'value') ? get('value') : get('v');
    setKey(out, typeof key === 'string' ? key : toJson(key), value);
  }
  return out;
}

function sortByKeys(items: unknown[], keys: unknown[]): unknown[] {
  return items
    .map((item, i) => ({ item, key: keys[i], i }))
    .sort((a, b) => compare(a.key, b.key) || a.i - b.i)
    .map((x) => x.item);
}

function requireArray(name: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new JqError(`Cannot ${name} ${describe(v)}, as it is not an array`);
  return v;
}

/** `f` evaluated on each element; the list of outputs is the sort key (jq's `map([f])`). */
function keyed(args: Ast[], c: Compiler, fn: (items: unknown[], keys: unknown[]) => unknown): Filter {
  const f = c.value(args[0]);
  return (input, env, emit) => {
    if (!Array.isArray(input)) throw new JqError(`Cannot index ${typeOf(input)} with number`);
    emit(
      fn(
        input,
        input.map((x) => collect(f, x, env)),
      ),
    );
  };
}

/** builtin.jq: `if $x < 0 then error else reduce .[] as $i ([]; if $i | type == "array" and $x != 0 then . + ($i | _flatten($x - 1)) else . + [$i] end)` */
function flatten(v: unknown, depth: unknown): unknown[] {
  if (compare(depth, 0) < 0) throw new JqError('flatten depth must not be negative');
  const out: unknown[] = [];
  for (const x of values(v)) {
    if (Array.isArray(x) && !equals(depth, 0)) out.push(...flatten(x, ops.subtract(depth, 1)));
    else out.push(x);
  }
  return out;
}

const REGEX_FLAGS = /^[gixns]*$/;

function regex(re: unknown, flags: unknown): RegExp {
  if (typeof re !== 'string') throw new JqError(`${describe(re)} cannot be matched, as it is not a string`);
  if (flags !== null && (typeof flags !== 'string' || !REGEX_FLAGS.test(flags)))
    throw new JqError(`${describe(flags)} is not a valid modifier string`);
  let source = re;
  const f = (flags as string | null) ?? '';
  // x: extended syntax, whitespace and comments in the pattern are ignored.
  if (f.includes('x')) source = source.replace(/\\#|#[^\n]*|\s+/g, (m) => (m === '\\#' ? m : ''));
  try {
    return new RegExp(source, 'u' + (f.includes('i') ? 'i' : '') + (f.includes('s') ? 's' : ''));
  } catch (err) {
    throw new JqError(`${re} (at offset 0) is not a valid regex: ${(err as Error).message}`);
  }
}

function implode(v: unknown): string {
  if (!Array.isArray(v)) throw new JqError('implode input must be an array');
  return v
    .map((cp) => {
      if (typeof cp !== 'number' || cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        throw new JqError('Unicode codepoint out of range');
      return String.fromCodePoint(Math.floor(cp));
    })
    .join('');
}

function tonumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (/^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(t)) return Number(t);
    throw new JqError(`Cannot parse '${v}' as JSON`);
  }
  throw new JqError(`${describe(v)} cannot be parsed as a number`);
}

function fromjson(v: unknown): unknown {
  if (typeof v !== 'string') throw new JqError(`${describe(v)} cannot be parsed as JSON`);
  try {
    return JSON.parse(v);
  } catch {
    throw new JqError(`${v} (while parsing '${v}')`);
  }
}

function math(name: string, fn: (x: number) => number): Builtin {
  return simple((v) => {
    if (typeof v !== 'number') throw new JqError(`${describe(v)} number required`);
    const out = fn(v);
    return Number.isNaN(out) ? null : out;
  });
}

function minMax(items: unknown[], keys: unknown[], wantMax: boolean): unknown {
  if (!items.length) return null;
  let best = 0;
  for (let i = 1; i < items.length; i++) {
    const c = compare(keys[i], keys[best]);
    // jq keeps the first minimum and the last maximum.
    if (wantMax ? c >= 0 : c < 0) best = i;
  }
  return items[best];
}

function anyAll(gen: Filter, cond: Filter | null, wantAll: boolean, input: unknown, env: Env): boolean {
  const STOP = {};
  let result = wantAll;
  try {
    gen(input, env, (x) => {
      const test = (v: unknown) => {
        if (truthy(v) !== wantAll) {
          result = !wantAll;
          throw STOP;
        }
      };
      if (cond) cond(x, env, test);
      else test(x);
    });
  } catch (err) {
    if (err !== STOP) throw err;
  }
  return result;
}

function typeSelector(...types: string[]): Builtin {
  return () => (input, _env, emit) => {
    if (types.includes(typeOf(input))) emit(input);
  };
}

function limitOutputs(f: Filter, n: number, input: unknown, env: Env, emit: Emit): void {
  if (n <= 0) return;
  let count = 0;
  const STOP = {};
  try {
    f(input, env, (v) => {
      count++;
      emit(v);
      if (count >= n) throw STOP;
    });
  } catch (err) {
    if (err !== STOP) throw err;
  }
}

function pathsOf(c: Compiler, ast: Ast): (input: unknown, env: Env) => ops.PathKey[][] {
  const p = c.path(ast);
  return (input, env) => {
    const out: ops.PathKey[][] = [];
    p(input, [], env, (_v, path) => out.push(path));
    return out;
  };
}

/** jq 1.7.1's `def walk(f): def w: if type == "object" then map_values(w) elif type == "array" then map(w) else . end | f; w;` */
function walk(f: Filter, v: any, env: Env, emit: Emit): void {
  let inner: unknown = v;
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) walk(f, x, env, (o) => out.push(o));
    inner = out;
  } else if (typeOf(v) === 'object') {
    const paths = Object.keys(v).map((k) => [k]);
    inner = modify(v, paths, (old, set) => walk(f, old, env, set));
  }
  f(inner, env, emit);
}

export const BUILTINS: Record<string, Builtin> = {
  'empty/0': () => () => {},
  'not/0': simple((v) => !truthy(v)),
  'error/0': () => (input) => {
    throw new JqError(input);
  },
  'error/1': withValues((_v, msg) => {
    throw new JqError(msg);
  }),
  'length/0': simple(ops.length),
  'utf8bytelength/0': simple((v) => Buffer.byteLength(requireString('measured', v), 'utf8')),
  'type/0': simple(typeOf),
  'keys/0': simple((v) => keysOf(v, true)),
  'keys_unsorted/0': simple((v) => keysOf(v, false)),
  'has/1': withValues((v, k) => {
    if (v === null) return false;
    if (typeOf(v) === 'object' && typeof k === 'string') return hasKey(v, k);
    if (Array.isArray(v) && typeof k === 'number') return k >= 0 && k < v.length;
    throw new JqError(`Cannot check whether ${typeOf(v)} has a ${typeOf(k)} key`);
  }),
  'in/1': withValues((k, obj) => {
    if (typeOf(obj) === 'object' && typeof k === 'string') return hasKey(obj, k);
    if (Array.isArray(obj) && typeof k === 'number') return k >= 0 && k < obj.length;
    throw new JqError(`Cannot check whether ${typeOf(obj)} has a ${typeOf(k)} key`);
  }),
  'contains/1': withValues((v, b) => ops.contains(v, b)),
  'inside/1': withValues((v, b) => ops.contains(b, v)),
  'add/0': simple((v) => values(v).reduce((acc, x) => ops.add(acc, x), null)),
  'any/0': simple((v) => values(v).some(truthy)),
  'all/0': simple((v) => values(v).every(truthy)),
  'any/1': (args, c) => {
    const f = c.value(args[0]);
    return (input, env, emit) => emit(anyAll((i, e, out) => ops.iterate(i, out), f, false, input, env));
  },
  'all/1': (args, c) => {
    const f = c.value(args[0]);
    return (input, env, emit) => emit(anyAll((i, e, out) => ops.iterate(i, out), f, true, input, env));
  },
  'any/2': (args, c) => {
    const [g, f] = [c.value(args[0]), c.value(args[1])];
    return (input, env, emit) => emit(anyAll(g, f, false, input, env));
  },
  'all/2': (args, c) => {
    const [g, f] = [c.value(args[0]), c.value(args[1])];
    return (input, env, emit) => emit(anyAll(g, f, true, input, env));
  },
  'map/1': (args, c) => {
    const f = c.value(args[0]);
    return (input, env, emit) => {
      const out: unknown[] = [];
      ops.iterate(input, (x) => f(x, env, (v) => out.push(v)));
      emit(out);
    };
  },
  'map_values/1': (args, c) => {
    const f = c.value(args[0]);
    return (input, env, emit) => {
      const paths = keysOf(input, false).map((k) => [k as ops.PathKey]);
      emit(modify(input, paths, (old, set) => f(old, env, set)));
    };
  },
  'select/1': (args, c) => {
    const f = c.value(args[0]);
    return (input, env, emit) =>
      f(input, env, (v) => {
        if (truthy(v)) emit(input);
      });
  },
  'recurse/0': () => (input, _env, emit) => recurseValues(input, emit),
  'recurse/1': (args, c) => {
    const f = c.value(args[0]);
    const rec = (v: unknown, env: Env, emit: Emit): void => {
      spend();
      emit(v);
      f(v, env, (x) => rec(x, env, emit));
    };
    return (input, env, emit) => rec(input, env, emit);
  },
  'recurse/2': (args, c) => {
    const f = c.value(args[0]);
    const cond = c.value(args[1]);
    const rec = (v: unknown, env: Env, emit: Emit): void => {
      spend();
      emit(v);
      f(v, env, (x) => cond(x, env, (ok) => truthy(ok) && rec(x, env, emit)));
    };
    return (input, env, emit) => rec(input, env, emit);
  },
  'values/0': () => (input, _env, emit) => {
    if (input !== null) emit(input);
  },
  'nulls/0': typeSelector('null'),
  'booleans/0': typeSelector('boolean'),
  'numbers/0': typeSelector('number'),
  'strings/0': typeSelector('string'),
  'arrays/0': typeSelector('array'),
  'objects/0': typeSelector('object'),
  'iterables/0': typeSelector('array', 'object'),
  'scalars/0': typeSelector('null', 'boolean', 'number', 'string'),
  'range/1': withValuesGen((emit, n) => {
    for (let i = 0; i < n; i++) {
      spend();
      emit(i);
    }
  }),
  'range/2': withValuesGen((emit, from, upto) => {
    for (let i = from; i < upto; i++) {
      spend();
      emit(i);
    }
  }),
  'range/3': withValuesGen((emit, from, upto, by) => {
    if (by > 0)
      for (let i = from; i < upto; i += by) {
        spend();
        emit(i);
      }
    else if (by < 0)
      for (let i = from; i > upto; i += by) {
        spend();
        emit(i);
      }
    else if (from < upto) throw new JqError('range/3 with a zero step would never end');
  }),
  'floor/0': math('floor', Math.floor),
  'ceil/0': math('ceil', Math.ceil),
  'round/0': math('round', (x) => (x < 0 ? -Math.round(-x) : Math.round(x))),
  'fabs/0': math('fabs', Math.abs),
  'sqrt/0': math('sqrt', Math.sqrt),
  'tostring/0': simple((v) => (typeof v === 'string' ? v : toJson(v))),
  'tonumber/0': simple(tonumber),
  'tojson/0': simple(toJson),
  'fromjson/0': simple(fromjson),
  'ascii_downcase/0': simple((v) => {
    if (typeof v !== 'string') throw new JqError('explode input must be a string');
    return v.replace(/[A-Z]+/g, (m) => m.toLowerCase());
  }),
  'ascii_upcase/0': simple((v) => {
    if (typeof v !== 'string') throw new JqError('explode input must be a string');
    return v.replace(/[a-z]+/g, (m) => m.toUpperCase());
  }),
  'explode/0': simple((v) => {
    if (typeof v !== 'string') throw new JqError('explode input must be a string');
    return Array.from(v).map((ch) => ch.codePointAt(0));
  }),
  'implode/0': simple(implode),
  'startswith/1': withValues((v, s) => {
    if (typeof v !== 'string' || typeof s !== 'string')
      throw new JqError('startswith() requires string inputs');
    return v.startsWith(s);
  }),
  'endswith/1': withValues((v, s) => {
    if (typeof v !== 'string' || typeof s !== 'string')
      throw new JqError('endswith() requires string inputs');
    return v.endsWith(s);
  }),
  'ltrimstr/1': withValues((v, s) =>
    typeof v === 'string' && typeof s === 'string' && v.startsWith(s) ? v.slice(s.length) : v,
  ),
  'rtrimstr/1': withValues((v, s) =>
    typeof v === 'string' && typeof s === 'string' && v.endsWith(s) && s.length
      ? v.slice(0, v.length - s.length)
      : v,
  ),
  'split/1': withValues((v, sep) => {
    if (typeof v !== 'string' || typeof sep !== 'string')
      throw new JqError('split input and separator must be strings');
    return ops.splitString(v, sep);
  }),
  'split/2': withValues((v, re, flags) => {
    const str = requireString('matched', v);
    const r = regex(re, flags);
    return str.split(new RegExp(r.source, r.flags + 'g'));
  }),
  'join/1': withValues((v, sep) => {
    const items = values(v);
    if (!items.length) return '';
    let out: unknown = null;
    for (const x of items) {
      const piece = x === null ? '' : typeof x === 'boolean' || typeof x === 'number' ? toJson(x) : x;
      out = ops.add(out === null ? '' : ops.add(out, sep), piece);
    }
    return out;
  }),
  // builtin.jq: an array argument is [regex, flags].
  'test/1': withValues((v, re) =>
    Array.isArray(re)
      ? regex(re[0] ?? null, re[1] ?? null).test(requireString('matched', v))
      : regex(re, null).test(requireString('matched', v)),
  ),
  'test/2': withValues((v, re, flags) => regex(re, flags).test(requireString('matched', v))),
  'sort/0': simple((v) => [...requireArray('sort', v)].sort(compare)),
  'sort_by/1': (args, c) => keyed(args, c, sortByKeys),
  'group_by/1': (args, c) =>
    keyed(args, c, (items, keys) => {
      const groups: unknown[][] = [];
      let lastKey: unknown;
      const order = items
        .map((item, i) => ({ item, key: keys[i], i }))
        .sort((a, b) => compare(a.key, b.key) || a.i - b.i);
      for (const { item, key } of order) {
        if (groups.length && equals(lastKey, key)) groups[groups.length - 1].push(item);
        else groups.push([item]);
        lastKey = key;
      }
      return groups;
    }),
  'unique/0': simple((v) => {
    const sorted = [...requireArray('sort', v)].sort(compare);
    return sorted.filter((x, i) => i === 0 || !equals(sorted[i - 1], x));
  }),
  'unique_by/1': (args, c) =>
    keyed(args, c, (items, keys) => {
      const order = items
        .map((item, i) => ({ item, key: keys[i], i }))
        .sort((a, b) => compare(a.key, b.key) || a.i - b.i);
      return order.filter((x, i) => i === 0 || !equals(order[i - 1].key, x.key)).map((x) => x.item);
    }),
  'min/0': simple((v) => minMax(requireArray('min', v), v, false)),
  'max/0': simple((v) => minMax(requireArray('max', v), v, true)),
  'min_by/1': (args, c) => keyed(args, c, (items, keys) => minMax(items, keys, false)),
  'max_by/1': (args, c) => keyed(args, c, (items, keys) => minMax(items, keys, true)),
  'reverse/0': simple((v) => {
    if (v === null) return [];
    if (typeof v === 'string') return Array.from(v).reverse().join('');
    return [...requireArray('reverse', v)].reverse();
  }),
  'flatten/0': simple((v) => flatten(v, 1e9)),
  'flatten/1': withValues(flatten),
  'first/0': simple((v) => ops.index(v, 0)),
  'last/0': simple((v) => ops.index(v, -1)),
  'first/1': (args, c) => {
    const f = c.value(args[0]);
    return (input, env, emit) => limitOutputs(f, 1, input, env, emit);
  },
  'last/1': (args, c) => {
    const f = c.value(args[0]);
    return (input, env, emit) => {
      let last: unknown;
      let seen = false;
      f(input, env, (v) => {
        last = v;
        seen = true;
      });
      if (seen) emit(last);
    };
  },
  'limit/2': (args, c) => {
    const n = c.value(args[0]);
    const f = c.value(args[1]);
    return (input, env, emit) =>
      n(input, env, (count) => {
        if (typeof count !== 'number') throw new JqError('Invalid limit: must be a number');
        limitOutputs(f, count, input, env, emit);
      });
  },
  'isempty/1': (args, c) => {
    const f = c.value(args[0]);
    return (input, env, emit) => {
      let empty = true;
      limitOutputs(f, 1, input, env, () => (empty = false));
      emit(empty);
    };
  },
  'to_entries/0': simple(toEntries),
  'from_entries/0': simple(fromEntries),
  'with_entries/1': (args, c) => {
    const f = c.value(args[0]);
    return (input, env, emit) => {
      const mapped: unknown[] = [];
      for (const e of toEntries(input)) f(e, env, (v) => mapped.push(v));
      emit(fromEntries(mapped));
    };
  },
  'walk/1': (args, c) => {
    const f = c.value(args[0]);
    return (input, env, emit) => walk(f, input, env, emit);
  },
  'path/1': (args, c) => {
    const p = c.path(args[0]);
    return (input, env, emit) => p(input, [], env, (_v, path) => emit(path));
  },
  'paths/0': () => (input, _env, emit) =>
    recursePaths(input, [], (_v, p) => {
      if (p.length) emit(p);
    }),
  'paths/1': (args, c) => {
    const f = c.value(args[0]);
    return (input, env, emit) =>
      recursePaths(input, [], (v, p) => {
        if (p.length) f(v, env, (ok) => truthy(ok) && emit(p));
      });
  },
  'getpath/1': withValues(ops.getpath),
  'setpath/2': withValues((v, p, x) => {
    if (!Array.isArray(p)) throw new JqError('Path must be specified as an array');
    return ops.setpath(v, p, x);
  }),
  'delpaths/1': withValues((v, ps) => {
    if (!Array.isArray(ps) || !ps.every(Array.isArray))
      throw new JqError('Paths must be specified as an array');
    return ops.delpaths(v, ps);
  }),
  'del/1': (args, c) => {
    const paths = pathsOf(c, args[0]);
    return (input, env, emit) => emit(ops.delpaths(input, paths(input, env)));
  },
  'to_array/0': simple((v) => (Array.isArray(v) ? v : [v])),
  'splits/1': (args, c) => {
    const sep = c.value(args[0]);
    return (input, env, emit) =>
      sep(input, env, (s) => {
        const str = requireString('matched', input);
        for (const part of str.split(regexGlobal(s))) emit(part);
      });
  },
  'splits/2': (args, c) => {
    const sep = c.value(args[0]);
    const flags = c.value(args[1]);
    return (input, env, emit) =>
      flags(input, env, (fl) =>
        sep(input, env, (s) => {
          const r = regex(s, fl);
          for (const part of requireString('matched', input).split(new RegExp(r.source, r.flags + 'g')))
            emit(part);
        }),
      );
  },
  'ascii/0': simple((v) => String.fromCharCode(v as number)),
};

function regexGlobal(s: unknown): RegExp {
  const re = regex(s, null);
  return new RegExp(re.source, re.flags + 'g');
}

/** Generators over `$value` arguments (range). */
function withValuesGen(fn: (emit: Emit, ...args: number[]) => void): Builtin {
  return (args, c) => {
    const fs = args.map((a) => c.value(a));
    return (input, env, emit) => {
      const vals: number[] = [];
      const step = (i: number): void => {
        if (i === fs.length) return fn(emit, ...vals);
        fs[i](input, env, (v) => {
          if (typeof v !== 'number') throw new JqError('Range bounds must be numeric');
          vals[i] = v;
          step(i + 1);
        });
      };
      step(0);
    };
  };
}

type PathBuiltin = (args: Ast[], c: Compiler) => PathFilter;

export const PATH_BUILTINS: Record<string, PathBuiltin> = {
  'empty/0': () => () => {},
  'error/0': () => (value) => {
    throw new JqError(value);
  },
  'error/1': (args, c) => {
    const msg = c.value(args[0]);
    return (value, _path, env) =>
      msg(value, env, (m) => {
        throw new JqError(m);
      });
  },
  'select/1': (args, c) => {
    const f = c.value(args[0]);
    return (value, path, env, emit) =>
      f(value, env, (ok) => {
        if (truthy(ok)) emit(value, path);
      });
  },
  'recurse/0': () => (value, path, _env, emit) => recursePaths(value, path, emit),
  'getpath/1': (args, c) => {
    const p = c.value(args[0]);
    return (value, path, env, emit) =>
      p(value, env, (keys) => {
        if (!Array.isArray(keys)) throw new JqError('Path must be specified as an array');
        emit(ops.getpath(value, keys), [...path, ...(keys as ops.PathKey[])]);
      });
  },
  'first/1': (args, c) => {
    const f = c.path(args[0]);
    return (value, path, env, emit) => {
      const STOP = {};
      try {
        f(value, path, env, (v, p) => {
          emit(v, p);
          throw STOP;
        });
      } catch (err) {
        if (err !== STOP) throw err;
      }
    };
  },
};
