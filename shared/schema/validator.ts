/**
 * Validation with Kong's semantics on top of Ajv: defaults filled in, strict types for JSON
 * bodies (coercion only for form bodies), and errors translated to Kong's wording and paths.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';

export interface FieldError {
  /** Path segments: field names and array indices. */
  path: (string | number)[];
  message: string;
}

export type ValidationResult<T = any> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    useDefaults: true,
    coerceTypes: coerce ? 'array' : false,
    strict: false,
  });
  // Annotations only: Kong's field attributes served in Kong's schema format.
  ajv.addVocabulary([
    'kongType',
    'kongMessage',
    'referenceable',
    'uuid',
    'auto',
    'timestamp',
    'encrypted',
    'reference',
  ]);
  return ajv;
}

const strictAjv = makeAjv(false);
const coercingAjv = makeAjv(true);
const compiled = new WeakMap<object, { strict?: ValidateFunction; coerce?: ValidateFunction }>();

function compile(schema: TSchema, coerce: boolean): ValidateFunction {
  let entry = compiled.get(schema);
  if (!entry) compiled.set(schema, (entry = {}));
  const key = coerce ? 'coerce' : 'strict';
  return (entry[key] ??= (coerce ? coercingAjv : strictAjv).compile(schema));
}

/**
 * Validate `data` (which is cloned, never mutated) and return it with defaults filled in.
 * `coerce`: accept strings for numbers/booleans and scalars for arrays (form-urlencoded input).
 */
export function validate<T = any>(schema: TSchema, data: unknown, coerce = false): ValidationResult<T> {
  const value = structuredClone(data);
  const fn = compile(schema, coerce);
  if (fn(value)) return { ok: true, value: dedupeSets(schema, value) as T };
  return { ok: false, errors: translate(fn.errors ?? []) };
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((seg) => (/^\d+$/.test(seg) ? Number(seg) : seg));
}

function typeMessage(err: ErrorObject): string {
  const parent: any = err.parentSchema ?? {};
  const types = (
    Array.isArray(err.params.type) ? err.params.type : String(err.params.type).split(',')
  ).filter((t: string) => t !== 'null');
  switch (types[0]) {
    case 'string':
      return 'expected a string';
    case 'integer':
      return 'expected an integer';
    case 'number':
      return 'expected a number';
    case 'boolean':
      return 'expected a boolean';
    case 'array':
      return parent.kongType === 'set' ? 'expected a set' : 'expected an array';
    case 'object':
      return parent.kongType === 'map' ? 'expected a map' : 'expected a record';
    default:
      return `expected a ${types[0]}`;
  }
}

function messageFor(err: ErrorObject): { extra?: string; message: string } {
  const parent: any = err.parentSchema ?? {};
  switch (err.keyword) {
    case 'required':
      return { extra: String(err.params.missingProperty), message: 'required field missing' };
    case 'additionalProperties':
      return { extra: String(err.params.additionalProperty), message: 'unknown field' };
    case 'type':
      return { message: typeMessage(err) };
    case 'enum':
      return {
        message: `expected one of: ${(err.params.allowedValues as unknown[]).filter((v) => v !== null).join(', ')}`,
      };
    case 'minimum':
    case 'maximum':
      if (parent.minimum !== undefined && parent.maximum !== undefined)
        return { message: `value should be between ${parent.minimum} and ${parent.maximum}` };
      return err.keyword === 'minimum'
        ? { message: `value must be greater than or equal to ${parent.minimum}` }
        : { message: `value must be less than or equal to ${parent.maximum}` };
    case 'minLength':
    case 'minItems':
      if (err.params.limit === 1 && err.keyword === 'minLength')
        return { message: 'length must be at least 1' };
      return { message: `length must be at least ${err.params.limit}` };
    case 'maxLength':
    case 'maxItems':
      return { message: `length must be at most ${err.params.limit}` };
    case 'minProperties':
      return { message: `must have at least ${err.params.limit} entries` };
    case 'pattern':
      return {
        message: parent.kongMessage
          ? String(parent.kongMessage).replace('{value}', String(err.data))
          : `invalid value: ${String(err.data)}`,
      };
    case 'const':
      return { message: `value must be ${JSON.stringify(err.params.allowedValue)}` };
    default:
      return { message: err.message ?? 'invalid value' };
  }
}

/** Ajv errors → one Kong message per field path, most specific first. */
function translate(errors: ErrorObject[]): FieldError[] {
  const byPath = new Map<string, FieldError>();
  for (const err of errors) {
    // Errors of composite keywords repeat what their branches said; branch errors are clearer.
    if (err.keyword === 'anyOf' || err.keyword === 'oneOf' || err.keyword === 'if') continue;
    const { extra, message } = messageFor(err);
    const path = pointerToPath(err.instancePath);
    if (extra !== undefined) path.push(extra);
    const key = JSON.stringify(path);
    if (!byPath.has(key)) byPath.set(key, { path, message });
  }
  return [...byPath.values()];
}

/** Kong's sets drop duplicates on write. */
function dedupeSets(schema: any, value: any): any {
  if (value === null || value === undefined || !schema) return value;
  if (Array.isArray(value)) {
    const items = schema.items;
    const mapped = items ? value.map((v) => dedupeSets(items, v)) : value;
    if (schema.kongType !== 'set') return mapped;
    const seen = new Set<string>();
    return mapped.filter((v) => {
      const k = JSON.stringify(v);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }
  if (typeof value === 'object' && schema.properties) {
    for (const [k, sub] of Object.entries<any>(schema.properties)) {
      if (k in value) value[k] = dedupeSets(sub, value[k]);
    }
  }
  return value;
}

/**
 * Kong's field path in messages: dotted, array positions 1-based (`config.tools.4.acl.allow`
 * for the fourth tool), as Lua tables index them and UIs print them.
 */
export function formatPath(path: (string | number)[]): string {
  return path.map((seg) => (typeof seg === 'number' ? String(seg + 1) : seg)).join('.');
}

/** Kong's message order: within a level, names sorted, positions in numeric order. */
export function comparePaths(a: (string | number)[], b: (string | number)[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}

/** Prefix every error's path (e.g. plugin config errors live under `config`). */
export function prefixErrors(prefix: (string | number)[], errors: FieldError[]): FieldError[] {
  return errors.map((e) => ({ path: [...prefix, ...e.path], message: e.message }));
}
