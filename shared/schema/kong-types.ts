/**
 * Kong-flavoured building blocks for entity and plugin schemas.
 *
 * Every schema is plain JSON Schema (built with TypeBox) so it can be validated with Ajv, read
 * by the CLI and served in Kong's format (`kong-format.ts`). Annotations carry what JSON Schema
 * cannot say: `kongType` (set/map/record), `kongMessage` (the message Kong prints when a
 * `pattern` fails; `{value}` is substituted) and Kong's field attributes `uuid`, `auto`,
 * `timestamp`, `referenceable`, `encrypted`.
 */
import {
  Type,
  type Static,
  type TSchema,
  type TObject,
  type TProperties,
  type TUnsafe,
  type SchemaOptions,
} from '@sinclair/typebox';

export { Type };
export type { TSchema, TObject };

/** Allow `null` next to whatever `schema` accepts (Kong's "field may be null"). */
export function Nullable<T extends TSchema>(schema: T, defaultNull = true): TUnsafe<Static<T> | null> {
  const copy: any = { ...schema };
  if (Array.isArray(copy.enum)) copy.enum = [...copy.enum, null];
  if (copy.type) copy.type = Array.isArray(copy.type) ? [...copy.type, 'null'] : [copy.type, 'null'];
  if (defaultNull && copy.default === undefined) copy.default = null;
  return copy;
}

/** A record: object with fixed, known fields; unknown fields are schema violations. */
export function Rec<P extends TProperties>(props: P, opts: SchemaOptions = {}): TObject<P> {
  // Kong: a field is required only when it says so; TypeBox would mark every property required.
  const schema: any = Type.Object(props, { additionalProperties: false, kongType: 'record', ...opts });
  if (opts.required?.length) schema.required = [...opts.required];
  else delete schema.required;
  return schema;
}

/** A map: free-form keys, values of one schema. */
export function KMap<T extends TSchema>(values: T, opts: SchemaOptions = {}) {
  return Type.Record(Type.String(), values, { kongType: 'map', ...opts });
}

/** A set: an array whose duplicates are dropped on write (Kong's `set`). */
export function KSet<T extends TSchema>(items: T, opts: SchemaOptions = {}) {
  return Type.Array(items, { kongType: 'set', ...opts });
}

export function Enum<const V extends string>(values: readonly V[], opts: SchemaOptions = {}) {
  return Type.Unsafe<V>({ type: 'string', enum: [...values], ...opts });
}

export const Str = (opts: SchemaOptions = {}) => Type.String(opts);
export const Int = (opts: SchemaOptions = {}) => Type.Integer(opts);
export const Num = (opts: SchemaOptions = {}) => Type.Number(opts);
export const Bool = (opts: SchemaOptions = {}) => Type.Boolean(opts);

const UUID_RE = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const Uuid = (opts: SchemaOptions = {}) =>
  Type.String({ pattern: UUID_RE, kongMessage: 'expected a valid UUID', uuid: true, ...opts });
/** An entity's primary key, generated on insert when absent. */
export const Id = () => Uuid({ auto: true });

/** Kong's utf8_name: alnum plus . - _ ~ (or any non-ASCII). */
export const Name = (opts: SchemaOptions = {}) =>
  Type.String({
    minLength: 1,
    pattern: '^(?:[A-Za-z0-9._~-]|[^\\x00-\\x7F])+$',
    kongMessage:
      "invalid value '{value}': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
    ...opts,
  });

const Tag = Type.String({
  minLength: 1,
  pattern: '^[^,/\\x00-\\x1F\\x7F]+$',
  kongMessage:
    "invalid tag '{value}': expected printable ascii (except `,` and `/`) or valid utf-8 sequences",
});
export const Tags = () => Nullable(KSet(Tag));

/** Unix seconds, set by the server. */
export const Timestamp = () => Type.Integer({ minimum: 0, timestamp: true, auto: true });

/** `{ id }` reference to another entity (`reference`: its collection), Kong's foreign key. */
export const ForeignRef = (reference?: string) =>
  Rec({ id: Uuid() }, { required: ['id'], ...(reference ? { reference } : {}) });

export const Port = (opts: SchemaOptions = {}) => Type.Integer({ minimum: 0, maximum: 65535, ...opts });
export const Timeout = (opts: SchemaOptions = {}) =>
  Type.Integer({ minimum: 1, maximum: 2 ** 31 - 2, default: 60000, ...opts });

export const HTTP_METHODS = [
  'GET',
  'HEAD',
  'PUT',
  'PATCH',
  'POST',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'CONNECT',
] as const;

/** A string that may also be a `{vault://backend/key}` reference; stored as written. */
export const Referenceable = (opts: SchemaOptions = {}) => Type.String({ referenceable: true, ...opts });

/** Kong's "name:value" transformer entries. */
export const ColonPair = () =>
  Type.String({ pattern: '^[^:]+:[\\s\\S]*$', kongMessage: 'invalid value: {value}' });

/** Header names (RFC 9110 tokens). */
const HEADER_NAME_RE = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
/** `Header:value` entries: a token, then a value Node will put on the wire. */
export const HeaderPair = () =>
  Type.String({
    pattern: `^${HEADER_NAME_RE}:[\\t\\x20-\\x7E\\x80-\\xFF]*$`,
    kongMessage:
      "invalid header entry '{value}': expected 'Name:value' with a token name and printable value",
  });
export const HeaderName = () =>
  Type.String({ pattern: `^${HEADER_NAME_RE}$`, kongMessage: "invalid header name '{value}'" });

/** JWS algorithms Kong's JWT-handling plugins accept (ai-mcp-oauth2, datakit's jwt nodes). */
export const JWT_ALGS = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'HS256',
  'HS384',
  'HS512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
];
