/**
 * Compiles a jq syntax tree once into closures; evaluation then walks no tree. Filters emit
 * their outputs through a callback, so `try` keeps what was emitted before an error and errors
 * raised downstream of a `try` are not caught by it (jq 1.7 semantics).
 */
import type { Ast } from './ast';
import { JqSyntaxError } from './parser';
import { BUILTINS, PATH_BUILTINS } from './builtins';
import type { Emit, Env, Filter, FilterCompiler, PathFilter } from './filter';
import { modify, recursePaths, recurseValues } from './filter';
import * as ops from './ops';
import { JqError, compare, newObject, setKey, truthy, typeOf } from './values';
import { applyFormat, FORMATS } from './formats';
import { spend } from './budget';

/** An error raised downstream of a `try`, travelling through it untouched. */
class Downstream {
  constructor(
    readonly owner: object,
    readonly error: unknown,
  ) {}
}

export function lookup(env: Env, name: string): unknown {
  for (let e = env; e; e = e.parent) if (e.name === name) return e.value;
  throw new JqError(`$${name} is not defined`);
}

/**
 * Runs `body`, handing its outputs on, and reports a JqError raised inside `body` itself
 * (not downstream) to `onError`.
 */
export function guarded<A extends unknown[]>(
  run: (emit: (...args: A) => void) => void,
  emit: (...args: A) => void,
  onError: (e: JqError) => void,
): void {
  const owner = {};
  try {
    run((...args) => {
      try {
        emit(...args);
      } catch (err) {
        throw err instanceof Downstream ? err : new Downstream(owner, err);
      }
    });
  } catch (err) {
    if (err instanceof Downstream) {
      if (err.owner === owner) throw err.error;
      throw err;
    }
    if (!(err instanceof JqError)) throw err;
    onError(err);
  }
}

export class Compiler implements FilterCompiler {
  constructor(private readonly scope: string[] = []) {}

  withVariable(name: string): Compiler {
    return new Compiler([...this.scope, name]);
  }

  value(ast: Ast): Filter {
    switch (ast.kind) {
      case 'identity':
        return (input, _env, emit) => emit(input);
      case 'recurse':
        return (input, _env, emit) => recurseValues(input, emit);
      case 'literal': {
        const v = ast.value;
        return (_input, _env, emit) => emit(v);
      }
      case 'string':
        return this.string(ast.parts, ast.format);
      case 'format': {
        const name = ast.name;
        if (!FORMATS.has(name)) throw new JqSyntaxError(`${name} is not a valid format`);
        return (input, _env, emit) => emit(applyFormat(name, input));
      }
      case 'field': {
        const target = this.value(ast.target);
        const name = ast.name;
        if (ast.opt)
          return (input, env, emit) => target(input, env, (t) => optional(() => ops.index(t, name), emit));
        return (input, env, emit) => target(input, env, (t) => emit(ops.index(t, name)));
      }
      case 'index': {
        const target = this.value(ast.target);
        const key = this.value(ast.index);
        if (ast.opt)
          return (input, env, emit) =>
            key(input, env, (k) => target(input, env, (t) => optional(() => ops.index(t, k), emit)));
        return (input, env, emit) => key(input, env, (k) => target(input, env, (t) => emit(ops.index(t, k))));
      }
      case 'slice': {
        const target = this.value(ast.target);
        const from = ast.from ? this.value(ast.from) : constant(null);
        const to = ast.to ? this.value(ast.to) : constant(null);
        const opt = !!ast.opt;
        return (input, env, emit) =>
          to(input, env, (b) =>
            from(input, env, (a) =>
              target(input, env, (t) =>
                opt ? optional(() => ops.slice(t, a, b), emit) : emit(ops.slice(t, a, b)),
              ),
            ),
          );
      }
      case 'iterate': {
        const target = this.value(ast.target);
        if (ast.opt)
          return (input, env, emit) =>
            target(input, env, (t) => {
              if (Array.isArray(t) || typeOf(t) === 'object') ops.iterate(t, emit);
            });
        return (input, env, emit) => target(input, env, (t) => ops.iterate(t, emit));
      }
      case 'try': {
        const body = this.value(ast.body);
        const handler = ast.handler ? this.value(ast.handler) : null;
        return (input, env, emit) =>
          guarded(
            (out) => body(input, env, out),
            emit,
            (err) => {
              if (handler) handler(err.value, env, emit);
            },
          );
      }
      case 'array': {
        if (!ast.body) return (_input, _env, emit) => emit([]);
        const body = this.value(ast.body);
        return (input, env, emit) => {
          const out: unknown[] = [];
          body(input, env, (v) => out.push(v));
          emit(out);
        };
      }
      case 'object':
        return this.object(ast.entries);
      case 'neg': {
        const body = this.value(ast.body);
        return (input, env, emit) => body(input, env, (v) => emit(ops.negate(v)));
      }
      case 'pipe': {
        const left = this.value(ast.left);
        const right = this.value(ast.right);
        return (input, env, emit) => left(input, env, (v) => right(v, env, emit));
      }
      case 'comma': {
        const left = this.value(ast.left);
        const right = this.value(ast.right);
        return (input, env, emit) => {
          left(input, env, emit);
          right(input, env, emit);
        };
      }
      case 'binary':
        return this.binary(ast.op, this.value(ast.left), this.value(ast.right));
      case 'and':
      case 'or': {
        const left = this.value(ast.left);
        const right = this.value(ast.right);
        const isAnd = ast.kind === 'and';
        return (input, env, emit) =>
          left(input, env, (l) => {
            if (truthy(l) !== isAnd) emit(!isAnd);
            else right(input, env, (r) => emit(truthy(r)));
          });
      }
      case 'alt': {
        // Errors on the left propagate, as the jq binary does.
        const left = this.value(ast.left);
        const right = this.value(ast.right);
        return (input, env, emit) => {
          let any = false;
          left(input, env, (v) => {
            if (truthy(v)) {
              any = true;
              emit(v);
            }
          });
          if (!any) right(input, env, emit);
        };
      }
      case 'assign':
        return this.assign(ast);
      case 'if': {
        const cond = this.value(ast.cond);
        const then = this.value(ast.then);
        const otherwise = ast.else ? this.value(ast.else) : null;
        return (input, env, emit) =>
          cond(input, env, (c) => {
            if (truthy(c)) then(input, env, emit);
            else if (otherwise) otherwise(input, env, emit);
            else emit(input);
          });
      }
      case 'reduce': {
        const source = this.value(ast.source);
        const init = this.value(ast.init);
        const inner = this.withVariable(ast.name);
        const update = inner.value(ast.update);
        const name = ast.name;
        return (input, env, emit) =>
          init(input, env, (start) => {
            let acc: unknown = start;
            source(input, env, (x) => {
              spend();
              const scoped: Env = { name, value: x, parent: env };
              let last: unknown = null;
              update(acc, scoped, (v) => (last = v));
              acc = last;
            });
            emit(acc);
          });
      }
      case 'as': {
        const source = this.value(ast.source);
        const body = this.withVariable(ast.name).value(ast.body);
        const name = ast.name;
        return (input, env, emit) =>
          source(input, env, (x) => body(input, { name, value: x, parent: env }, emit));
      }
      case 'var': {
        if (!this.scope.includes(ast.name)) throw new JqSyntaxError(`$${ast.name} is not defined`);
        const name = ast.name;
        return (_input, env, emit) => emit(lookup(env, name));
      }
      case 'call': {
        const builtin = BUILTINS[`${ast.name}/${ast.args.length}`];
        if (!builtin) throw new JqSyntaxError(`${ast.name}/${ast.args.length} is not defined`);
        return builtin(ast.args, this);
      }
    }
  }

  private string(parts: (string | Ast)[], format: string | null): Filter {
    if (format !== null && !FORMATS.has(format)) throw new JqSyntaxError(`${format} is not a valid format`);
    const fmt = format ?? 'text';
    const compiled = parts.map((p) => (typeof p === 'string' ? p : this.value(p)));
    if (compiled.every((p) => typeof p === 'string')) {
      const text = compiled.join('');
      return (_input, _env, emit) => emit(text);
    }
    // The last interpolation varies slowest, as in jq.
    const build = (i: number, suffix: string, input: unknown, env: Env, emit: Emit): void => {
      if (i < 0) return emit(suffix);
      const part = compiled[i];
      if (typeof part === 'string') return build(i - 1, part + suffix, input, env, emit);
      part(input, env, (v) => build(i - 1, applyFormat(fmt, v) + suffix, input, env, emit));
    };
    return (input, env, emit) => build(compiled.length - 1, '', input, env, emit);
  }

  private object(entries: { key: Ast; value: Ast | null; keyName: string | null }[]): Filter {
    const compiled = entries.map((e) => ({
      key: this.value(e.key),
      value: e.value
        ? this.value(e.value)
        : this.value({ kind: 'field', target: { kind: 'identity' }, name: e.keyName! }),
    }));
    const build = (i: number, acc: Record<string, unknown>, input: unknown, env: Env, emit: Emit): void => {
      if (i === compiled.length) return emit(acc);
      const { key, value } = compiled[i];
      key(input, env, (k) => {
        if (typeof k !== 'string') throw new JqError(`Object keys must be strings`);
        value(input, env, (v) => {
          const next = newObject();
          for (const name of Object.keys(acc)) setKey(next, name, acc[name]);
          setKey(next, k, v);
          build(i + 1, next, input, env, emit);
        });
      });
    };
    return (input, env, emit) => build(0, newObject(), input, env, emit);
  }

  private binary(op: string, left: Filter, right: Filter): Filter {
    const fn = BINARY[op];
    return (input, env, emit) => right(input, env, (r) => left(input, env, (l) => emit(fn(l, r))));
  }

  private assign(ast: Extract<Ast, { kind: 'assign' }>): Filter {
    const paths = this.path(ast.left);
    const right = this.value(ast.right);
    const collect = (input: unknown, env: Env): ops.PathKey[][] => {
      const out: ops.PathKey[][] = [];
      paths(input, [], env, (_v, p) => out.push(p));
      return out;
    };
    if (ast.op === '=') {
      return (input, env, emit) =>
        right(input, env, (v) => {
          let out = input;
          for (const p of collect(input, env)) out = ops.setpath(out, p, v);
          emit(out);
        });
    }
    if (ast.op === '|=') {
      return (input, env, emit) =>
        emit(modify(input, collect(input, env), (old, set) => right(old, env, set)));
    }
    const combine =
      ast.op === '//=' ? (a: unknown, b: unknown) => (truthy(a) ? a : b) : BINARY[ast.op.slice(0, -1)];
    return (input, env, emit) =>
      right(input, env, (r) => emit(modify(input, collect(input, env), (old, set) => set(combine(old, r)))));
  }

  /** Path mode: what `path(f)`, assignments and `del` need — (value, path) pairs. */
  path(ast: Ast): PathFilter {
    switch (ast.kind) {
      case 'identity':
        return (value, path, _env, emit) => emit(value, path);
      case 'recurse':
        return (value, path, _env, emit) => recursePaths(value, path, emit);
      case 'field': {
        const target = this.path(ast.target);
        const name = ast.name;
        const opt = !!ast.opt;
        return (value, path, env, emit) =>
          target(value, path, env, (v, p) => {
            if (opt && v !== null && typeOf(v) !== 'object') return;
            emit(ops.index(v, name), [...p, name]);
          });
      }
      case 'index': {
        const target = this.path(ast.target);
        const key = this.value(ast.index);
        const opt = !!ast.opt;
        return (value, path, env, emit) =>
          key(value, env, (k) =>
            target(value, path, env, (v, p) => {
              let got: unknown;
              try {
                if (typeof k !== 'string' && typeof k !== 'number')
                  throw new JqError(`Cannot update field at object index of ${typeOf(v)}`);
                got = ops.index(v, k);
              } catch (err) {
                if (opt && err instanceof JqError) return;
                throw err;
              }
              emit(got, [...p, k as ops.PathKey]);
            }),
          );
      }
      case 'iterate': {
        const target = this.path(ast.target);
        const opt = !!ast.opt;
        return (value, path, env, emit) =>
          target(value, path, env, (v, p) => {
            if (Array.isArray(v)) v.forEach((x, i) => emit(x, [...p, i]));
            else if (typeOf(v) === 'object') for (const k of Object.keys(v)) emit(v[k], [...p, k]);
            else if (!opt) throw new JqError(`Cannot iterate over ${v === null ? 'null' : typeOf(v)}`);
          });
      }
      case 'pipe': {
        const left = this.path(ast.left);
        const right = this.path(ast.right);
        return (value, path, env, emit) => left(value, path, env, (v, p) => right(v, p, env, emit));
      }
      case 'comma': {
        const left = this.path(ast.left);
        const right = this.path(ast.right);
        return (value, path, env, emit) => {
          left(value, path, env, emit);
          right(value, path, env, emit);
        };
      }
      case 'try': {
        if (ast.handler) break;
        const body = this.path(ast.body);
        return (value, path, env, emit) =>
          guarded<[unknown, ops.PathKey[]]>(
            (out) => body(value, path, env, out),
            emit,
            () => {},
          );
      }
      case 'if': {
        const cond = this.value(ast.cond);
        const then = this.path(ast.then);
        const otherwise = ast.else ? this.path(ast.else) : null;
        return (value, path, env, emit) =>
          cond(value, env, (c) => {
            if (truthy(c)) then(value, path, env, emit);
            else if (otherwise) otherwise(value, path, env, emit);
            else emit(value, path);
          });
      }
      case 'alt': {
        const left = this.path(ast.left);
        const right = this.path(ast.right);
        return (value, path, env, emit) => {
          let any = false;
          left(value, path, env, (v, p) => {
            if (truthy(v)) {
              any = true;
              emit(v, p);
            }
          });
          if (!any) right(value, path, env, emit);
        };
      }
      case 'as': {
        const source = this.value(ast.source);
        const body = this.withVariable(ast.name).path(ast.body);
        const name = ast.name;
        return (value, path, env, emit) =>
          source(value, env, (x) => body(value, path, { name, value: x, parent: env }, emit));
      }
      case 'call': {
        const builtin = PATH_BUILTINS[`${ast.name}/${ast.args.length}`];
        if (builtin) return builtin(ast.args, this);
        break;
      }
    }
    throw new JqSyntaxError(`${describeAst(ast)} cannot be used as a path expression`);
  }
}

function describeAst(ast: Ast): string {
  if (ast.kind === 'call') return `${ast.name}/${ast.args.length}`;
  return `a ${ast.kind} expression`;
}

/** The result of one optional operation (`.a?`, `.[0]?`, `.[1:]?`), or nothing on its error. */
function optional(op: () => unknown, emit: Emit): void {
  let v: unknown;
  try {
    v = op();
  } catch (err) {
    if (err instanceof JqError) return;
    throw err;
  }
  emit(v);
}

function constant(v: unknown): Filter {
  return (_input, _env, emit) => emit(v);
}

const BINARY: Record<string, (l: any, r: any) => unknown> = {
  '+': ops.add,
  '-': ops.subtract,
  '*': ops.multiply,
  '/': ops.divide,
  '%': ops.modulo,
  '==': (l, r) => compare(l, r) === 0,
  '!=': (l, r) => compare(l, r) !== 0,
  '<': (l, r) => compare(l, r) < 0,
  '<=': (l, r) => compare(l, r) <= 0,
  '>': (l, r) => compare(l, r) > 0,
  '>=': (l, r) => compare(l, r) >= 0,
};
