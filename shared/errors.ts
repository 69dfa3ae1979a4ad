/**
 * Kong's Admin API error bodies (kong/db/errors.lua), shared by the control plane and the CLI.
 */
import { comparePaths, formatPath, type FieldError } from './schema/validator';

const ErrorCode = {
  INVALID_PRIMARY_KEY: 1,
  SCHEMA_VIOLATION: 2,
  PRIMARY_KEY_VIOLATION: 3,
  FOREIGN_KEY_VIOLATION: 4,
  UNIQUE_VIOLATION: 5,
  NOT_FOUND: 6,
  INVALID_OFFSET: 7,
  DATABASE_ERROR: 8,
  INVALID_SIZE: 9,
  INVALID_OPTIONS: 11,
  OPERATION_UNSUPPORTED: 12,
} as const;

export interface KongErrorBody {
  code?: number;
  name?: string;
  message: string;
  fields?: Record<string, unknown>;
  options?: Record<string, unknown>;
}

export const ENTITY_CHECK = '@entity';

/** Build Kong's nested `fields` object; array indices become arrays with null holes. */
function nestFields(errors: FieldError[]): Record<string, unknown> {
  const root: any = {};
  for (const { path, message } of errors) {
    let node = root;
    path.forEach((seg, i) => {
      const last = i === path.length - 1;
      if (last && seg === ENTITY_CHECK) {
        // Entity-level checks are a list of messages (Kong's `@entity`).
        if (!Array.isArray(node[seg])) node[seg] = [];
        node[seg].push(message);
        return;
      }
      if (last) {
        if (node[seg] === undefined || node[seg] === null) node[seg] = message;
        return;
      }
      const nextIsIndex = typeof path[i + 1] === 'number';
      if (node[seg] === undefined || node[seg] === null || typeof node[seg] !== 'object') {
        node[seg] = nextIsIndex ? [] : {};
      }
      node = node[seg];
    });
  }
  // JSON arrays cannot have holes: fill them with null, as Kong's encoder does.
  const fill = (v: any): any => {
    if (Array.isArray(v))
      return Array.from({ length: v.length }, (_, i) => (v[i] === undefined ? null : fill(v[i])));
    if (v && typeof v === 'object') for (const k of Object.keys(v)) v[k] = fill(v[k]);
    return v;
  };
  return fill(root);
}

/** Kong lists entity-level checks first, then field errors by path. */
function sortErrors(errors: FieldError[]): FieldError[] {
  const entityLevel = (e: FieldError) => e.path.length === 1 && e.path[0] === ENTITY_CHECK;
  return [...errors].sort((a, b) =>
    entityLevel(a) !== entityLevel(b) ? (entityLevel(a) ? -1 : 1) : comparePaths(a.path, b.path),
  );
}

export function describeErrors(errors: FieldError[]): string[] {
  return sortErrors(errors).map((e) =>
    e.path.length === 1 && e.path[0] === ENTITY_CHECK
      ? e.message
      : `${formatPath(e.path[e.path.length - 1] === ENTITY_CHECK ? e.path.slice(0, -1) : e.path)}: ${e.message}`,
  );
}

export function schemaViolation(errors: FieldError[]): KongErrorBody {
  const parts = describeErrors(errors);
  const message =
    parts.length === 1
      ? `schema violation (${parts[0]})`
      : `${parts.length} schema violations (${parts.join('; ')})`;
  return { code: ErrorCode.SCHEMA_VIOLATION, name: 'schema violation', message, fields: nestFields(errors) };
}

/** Lua-table style rendering Kong uses in messages: `{name="svc"}`. */
function luaTable(obj: Record<string, unknown>): string {
  const render = (v: unknown): string => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'string') return `"${v}"`;
    if (typeof v === 'object') return luaTable(v as Record<string, unknown>);
    return String(v);
  };
  return `{${Object.keys(obj)
    .sort()
    .map((k) => `${k}=${render(obj[k])}`)
    .join(',')}}`;
}

export function uniqueViolation(fields: Record<string, unknown>): KongErrorBody {
  return {
    code: ErrorCode.UNIQUE_VIOLATION,
    name: 'unique constraint violation',
    message: `UNIQUE violation detected on '${luaTable(fields)}'`,
    fields,
  };
}

export function foreignKeyViolation(field: string, ref: { id: string }, parentTable: string): KongErrorBody {
  return {
    code: ErrorCode.FOREIGN_KEY_VIOLATION,
    name: 'foreign key violation',
    message: `the foreign key '${luaTable(ref)}' does not reference an existing '${parentTable}' entity.`,
    fields: { [field]: ref },
  };
}

export function foreignKeyRestricted(childTable: string, parentTable: string): KongErrorBody {
  return {
    code: ErrorCode.FOREIGN_KEY_VIOLATION,
    name: 'foreign key violation',
    message: `an existing '${childTable}' entity references this '${parentTable}' entity`,
    fields: { '@referenced_by': childTable },
  };
}

export function invalidOffset(offset: string, reason: string): KongErrorBody {
  return {
    code: ErrorCode.INVALID_OFFSET,
    name: 'invalid offset',
    message: `'${offset}' is not a valid offset: ${reason}`,
  };
}

export function invalidSize(message: string): KongErrorBody {
  return { code: ErrorCode.INVALID_SIZE, name: 'invalid size', message };
}

export function invalidOptions(options: Record<string, unknown>, message: string): KongErrorBody {
  return { code: ErrorCode.INVALID_OPTIONS, name: 'invalid options', message, options };
}

export const NOT_FOUND: KongErrorBody = { message: 'Not found' };
export const METHOD_NOT_ALLOWED: KongErrorBody = { message: 'Method not allowed' };
export const UNEXPECTED: KongErrorBody = { message: 'An unexpected error occurred' };
