/**
 * Kong's schema format (what Kong's `/schemas/{entity}` and `/schemas/plugins/{name}` serve,
 * what Kong Manager renders forms from and decK fills defaults from), derived from the one
 * JSON Schema each entity and plugin already has:
 *
 *   { "fields": [ { "name": { "type": "string", "unique": true } }, … ] }
 *
 * records carry nested `fields`, arrays and sets `elements`, maps `keys`/`values`; `required`,
 * `default`, `one_of`, `between`, `len_min`/`len_max`, `uuid`, `timestamp`, `auto`, `unique`,
 * `referenceable`, `encrypted` and `description` are Kong's field attributes. Kong's `match`
 * (a Lua pattern) has no faithful translation from a regular expression and is left out.
 */
import type { TSchema } from '@sinclair/typebox';

export type KongField = Record<string, unknown>;
export interface KongSchema {
  fields: Record<string, KongField>[];
  entity_checks?: unknown[];
}

/** What the caller knows about a top-level field that the JSON Schema does not say. */
export interface FieldContext {
  unique?: boolean;
  /** The entity a `{ id }` reference points to (Kong's `foreign`). */
  reference?: { entity: string; onDelete?: 'cascade' | 'restrict' };
  /** A secret (Kong's `encrypted`). */
  encrypted?: boolean;
}

/** Kong's attributes written on a schema as annotations (`auto: true`, `referenceable: true`). */
const PASSTHROUGH = ['uuid', 'timestamp', 'auto', 'referenceable', 'encrypted', 'description'] as const;

function typesOf(schema: any): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  return schema.type ? [schema.type] : [];
}

function isNullable(schema: any): boolean {
  return typesOf(schema).includes('null');
}

function withoutNull(values: unknown[]): unknown[] {
  return values.filter((v) => v !== null);
}

function kongType(schema: any): string {
  const types = typesOf(schema).filter((t) => t !== 'null');
  const type = types.length === 1 ? types[0] : undefined;
  if (schema.kongType === 'set') return 'set';
  if (schema.kongType === 'map') return 'map';
  if (type === 'array') return 'array';
  if (type === 'object') {
    if (schema.patternProperties) return 'map';
    // Kong records are closed; an object open to any field is free-form JSON.
    if (schema.additionalProperties === false || schema.kongType === 'record') {
      return schema.properties && Object.keys(schema.properties).length ? 'record' : 'json';
    }
    return 'json';
  }
  if (type === 'string' || type === 'integer' || type === 'number' || type === 'boolean') return type;
  if (schema.const !== undefined) return typeof schema.const === 'string' ? 'string' : 'json';
  return 'json';
}

/** One field's schema in Kong's form; `required` is decided by the parent record. */
export function toKongField(schema: TSchema, required = false, ctx: FieldContext = {}): KongField {
  const s: any = schema;
  const reference: FieldContext['reference'] =
    ctx.reference ?? (s.reference ? { entity: s.reference } : undefined);
  if (reference) {
    const out: KongField = { type: 'foreign', reference: reference.entity };
    if (required) out.required = true;
    if (reference.onDelete === 'cascade') out.on_delete = 'cascade';
    return out;
  }
  const type = kongType(s);
  const out: KongField = { type };
  if (type === 'record') Object.assign(out, toKongRecord(s));
  if (type === 'array' || type === 'set') out.elements = toKongField(s.items ?? {}, true);
  if (type === 'map') {
    out.keys = { type: 'string' };
    const values = s.additionalProperties ?? Object.values(s.patternProperties ?? {})[0] ?? {};
    out.values = toKongField(values, true);
  }
  if (type === 'string') {
    if (s.minLength !== undefined) out.len_min = s.minLength;
    if (s.maxLength !== undefined) out.len_max = s.maxLength;
  }
  if (type === 'array' || type === 'set') {
    if (s.minItems !== undefined) out.len_min = s.minItems;
    if (s.maxItems !== undefined) out.len_max = s.maxItems;
  }
  if (type === 'integer' || type === 'number') {
    if (s.minimum !== undefined && s.maximum !== undefined) out.between = [s.minimum, s.maximum];
    else if (s.exclusiveMinimum !== undefined) out.gt = s.exclusiveMinimum;
  }
  if (Array.isArray(s.enum)) out.one_of = withoutNull(s.enum);
  if (s.const !== undefined) out.eq = s.const;
  if (s.default !== undefined && s.default !== null) out.default = s.default;
  if (required) out.required = true;
  for (const key of PASSTHROUGH) if (s[key] !== undefined) out[key] = s[key];
  if (ctx.unique) out.unique = true;
  if (ctx.encrypted) out.encrypted = true;
  return out;
}

/**
 * A record's fields. Kong marks a field `required` when it may be neither absent nor null:
 * listed as required, or not nullable and filled by a default.
 */
export function toKongRecord(
  schema: TSchema,
  context: (name: string) => FieldContext = () => ({}),
): { fields: Record<string, KongField>[] } {
  const s: any = schema;
  const requiredList: string[] = s.required ?? [];
  const fields = Object.entries<any>(s.properties ?? {}).map(([name, sub]) => {
    const required =
      requiredList.includes(name) || (!isNullable(sub) && sub.default !== undefined && sub.default !== null);
    return { [name]: toKongField(sub, required, context(name)) };
  });
  return { fields };
}
