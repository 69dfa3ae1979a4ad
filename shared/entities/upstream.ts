/**
 * Kong's `upstreams`: a virtual hostname a service's `host` can name, balanced over its targets
 * (targets.ts) with Kong's algorithms, hashing inputs and health checks. Fields, defaults,
 * shorthands and entity checks as `kong/db/schema/entities/upstreams.lua`.
 */
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import {
  Bool,
  Enum,
  ForeignRef,
  HeaderName,
  Id,
  Int,
  KMap,
  Nullable,
  Num,
  Rec,
  Str,
  Tags,
  Timestamp,
} from '../schema/kong-types';
import type { FieldError } from '../schema/validator';
import { ENTITY_CHECK } from '../errors';
import type { EntityDefinition } from './definition';
import { parseHostPort } from './host-port';

const HASH_ON = ['none', 'consumer', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture'] as const;
const HashOn = () => Enum(HASH_ON, { default: 'none' });
const CHECK_TYPES = ['tcp', 'http', 'https', 'grpc', 'grpcs'] as const;
const Statuses = (def: number[]) => Type.Array(Int({ minimum: 100, maximum: 999 }), { default: def });
const Seconds = (def: number) => Num({ minimum: 0, maximum: 65535, default: def });
const Counter = () => Int({ minimum: 0, maximum: 255, default: 0 });
const Path = (opts: Record<string, unknown> = {}) =>
  Str({ pattern: '^/', kongMessage: 'should start with: /', ...opts });
const SimpleParam = () => Nullable(Str({ minLength: 1 }));

const activeChecks = Rec(
  {
    type: Enum(CHECK_TYPES, { default: 'http' }),
    timeout: Seconds(1),
    concurrency: Int({ minimum: 1, maximum: 2 ** 31, default: 10 }),
    http_path: Path({ default: '/' }),
    https_sni: Nullable(Str({ minLength: 1 })),
    https_verify_certificate: Bool({ default: true }),
    headers: Nullable(KMap(Type.Array(Str()))),
    healthy: Rec(
      { interval: Seconds(0), http_statuses: Statuses([200, 302]), successes: Counter() },
      { default: {} },
    ),
    unhealthy: Rec(
      {
        interval: Seconds(0),
        http_statuses: Statuses([429, 404, 500, 501, 502, 503, 504, 505]),
        tcp_failures: Counter(),
        timeouts: Counter(),
        http_failures: Counter(),
      },
      { default: {} },
    ),
  },
  { default: {} },
);

const passiveChecks = Rec(
  {
    type: Enum(CHECK_TYPES, { default: 'http' }),
    healthy: Rec(
      {
        http_statuses: Statuses([
          200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308,
        ]),
        successes: Counter(),
      },
      { default: {} },
    ),
    unhealthy: Rec(
      {
        http_statuses: Statuses([429, 500, 503]),
        tcp_failures: Counter(),
        timeouts: Counter(),
        http_failures: Counter(),
      },
      { default: {} },
    ),
  },
  { default: {} },
);

const upstreamSchema = Rec(
  {
    id: Id(),
    created_at: Timestamp(),
    name: Str({ minLength: 1 }),
    updated_at: Timestamp(),
    algorithm: Enum(['consistent-hashing', 'least-connections', 'round-robin', 'latency'] as const, {
      default: 'round-robin',
    }),
    hash_on: HashOn(),
    hash_fallback: HashOn(),
    hash_on_header: Nullable(HeaderName()),
    hash_fallback_header: Nullable(HeaderName()),
    hash_on_cookie: Nullable(
      Str({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", kongMessage: "invalid cookie name '{value}'" }),
    ),
    hash_on_cookie_path: Path({ default: '/' }),
    hash_on_query_arg: SimpleParam(),
    hash_fallback_query_arg: SimpleParam(),
    hash_on_uri_capture: SimpleParam(),
    hash_fallback_uri_capture: SimpleParam(),
    slots: Int({ minimum: 10, maximum: 2 ** 16, default: 10000 }),
    healthchecks: Rec(
      {
        active: activeChecks,
        passive: passiveChecks,
        threshold: Num({ minimum: 0, maximum: 100, default: 0 }),
      },
      { default: {} },
    ),
    tags: Tags(),
    host_header: Nullable(
      Str({ pattern: '^[A-Za-z0-9_.-]+(?::\\d+)?$', kongMessage: 'invalid value: {value}' }),
    ),
    client_certificate: Nullable(ForeignRef('certificates')),
    use_srv_name: Bool({ default: false }),
  },
  { required: ['name'] },
);

/** Kong's shorthands: least-connections and latency hash on nothing; hashing means consistent-hashing. */
function expandUpstream(input: Record<string, any>): { value: Record<string, any>; errors: FieldError[] } {
  const value = { ...input };
  if (value.algorithm === 'least-connections' || value.algorithm === 'latency') value.hash_on = null;
  if (value.hash_on === null) value.hash_on = 'none';
  else if (value.hash_on === 'none') value.algorithm = 'round-robin';
  else if (typeof value.hash_on === 'string') value.algorithm = 'consistent-hashing';
  return { value, errors: [] };
}

/** `then_field` must be set when `if_field` has the value (Kong's conditional `required`). */
function requiredWhen(
  u: Record<string, any>,
  ifField: string,
  value: string,
  thenField: string,
): FieldError[] {
  if (u[ifField] !== value || u[thenField] != null) return [];
  return [
    { path: [ENTITY_CHECK], message: `failed conditional validation given value of field '${ifField}'` },
    { path: [thenField], message: 'required field missing' },
  ];
}

function oneOfWhen(u: Record<string, any>, value: string, allowed: string[]): FieldError[] {
  if (u.hash_on !== value || allowed.includes(u.hash_fallback)) return [];
  return [
    { path: [ENTITY_CHECK], message: "failed conditional validation given value of field 'hash_on'" },
    { path: ['hash_fallback'], message: `expected one of: ${allowed.join(', ')}` },
  ];
}

function distinct(u: Record<string, any>, a: string, b: string): FieldError[] {
  if (u[a] == null || u[b] == null || u[a] !== u[b]) return [];
  return [{ path: [ENTITY_CHECK], message: `values of these fields must be distinct: '${a}', '${b}'` }];
}

function checkUpstream(u: Record<string, any>): FieldError[] {
  const errors: FieldError[] = [];
  const name = parseHostPort(u.name);
  const shown = `Invalid name ('${u.name}')`;
  if (!name) errors.push({ path: ['name'], message: `${shown}; must be a valid hostname` });
  else if (name.type !== 'name')
    errors.push({ path: ['name'], message: `${shown}; no ip addresses allowed` });
  else if (name.port !== undefined) errors.push({ path: ['name'], message: `${shown}; no port allowed` });
  errors.push(
    ...requiredWhen(u, 'hash_on', 'header', 'hash_on_header'),
    ...requiredWhen(u, 'hash_fallback', 'header', 'hash_fallback_header'),
    ...requiredWhen(u, 'hash_on', 'cookie', 'hash_on_cookie'),
    ...requiredWhen(u, 'hash_fallback', 'cookie', 'hash_on_cookie'),
    ...oneOfWhen(u, 'none', ['none']),
    ...oneOfWhen(u, 'cookie', ['none']),
    // Kong's lists, in Kong's order (its messages repeat them).
    ...oneOfWhen(u, 'consumer', ['none', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture']),
    ...oneOfWhen(u, 'ip', ['none', 'consumer', 'header', 'cookie', 'path', 'query_arg', 'uri_capture']),
    ...oneOfWhen(u, 'path', ['none', 'consumer', 'header', 'cookie', 'query_arg', 'ip', 'uri_capture']),
    ...distinct(u, 'hash_on_header', 'hash_fallback_header'),
    ...requiredWhen(u, 'hash_on', 'query_arg', 'hash_on_query_arg'),
    ...requiredWhen(u, 'hash_fallback', 'query_arg', 'hash_fallback_query_arg'),
    ...distinct(u, 'hash_on_query_arg', 'hash_fallback_query_arg'),
    ...requiredWhen(u, 'hash_on', 'uri_capture', 'hash_on_uri_capture'),
    ...requiredWhen(u, 'hash_fallback', 'uri_capture', 'hash_fallback_uri_capture'),
    ...distinct(u, 'hash_on_uri_capture', 'hash_fallback_uri_capture'),
  );
  return errors;
}

/** An upstream as stored and as in a snapshot: validated, defaults filled (every field present). */
export type Upstream = Static<typeof upstreamSchema>;
export const upstreamEntity: EntityDefinition = {
  name: 'upstreams',
  singular: 'upstream',
  schema: upstreamSchema,
  endpointKey: 'name',
  unique: ['name'],
  foreignKeys: [{ field: 'client_certificate', references: 'certificates', onDelete: 'restrict' }],
  expand: expandUpstream,
  check: checkUpstream,
};
