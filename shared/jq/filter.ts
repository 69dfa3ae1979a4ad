/**
 * What compiled jq filters are, and the path helpers both the compiler and the builtins use
 * (kept apart from both so neither imports the other).
 */
import type { Ast } from './ast';
import * as ops from './ops';
import { typeOf } from './values';

export type Emit = (v: any) => void;
export type Env = { readonly name: string; readonly value: unknown; readonly parent: Env } | null;
export type Filter = (input: any, env: Env, emit: Emit) => void;
export type PathEmit = (value: any, path: ops.PathKey[]) => void;
export type PathFilter = (value: any, path: ops.PathKey[], env: Env, emit: PathEmit) => void;

/** What builtins need of the compiler: compile a sub-expression as values or as paths. */
export interface FilterCompiler {
  value(ast: Ast): Filter;
  path(ast: Ast): PathFilter;
}

/** jq 1.7's `_modify`: first output of the update replaces the value; no output deletes it. */
export function modify(
  input: unknown,
  paths: ops.PathKey[][],
  update: (old: unknown, set: (v: unknown) => void) => void,
): unknown {
  let out = input;
  for (const p of paths) {
    let done = false;
    let result: unknown;
    const STOP = {};
    try {
      update(ops.getpath(out, p), (v) => {
        result = v;
        done = true;
        throw STOP;
      });
    } catch (err) {
      if (err !== STOP) throw err;
    }
    out = done ? ops.setpath(out, p, result) : ops.delpaths(out, [p]);
  }
  return out;
}

export function recurseValues(v: any, emit: Emit): void {
  emit(v);
  if (Array.isArray(v)) for (const x of v) recurseValues(x, emit);
  else if (typeOf(v) === 'object') for (const k of Object.keys(v)) recurseValues(v[k], emit);
}

export function recursePaths(v: any, path: ops.PathKey[], emit: PathEmit): void {
  emit(v, path);
  if (Array.isArray(v)) v.forEach((x, i) => recursePaths(x, [...path, i], emit));
  else if (typeOf(v) === 'object') for (const k of Object.keys(v)) recursePaths(v[k], [...path, k], emit);
}
