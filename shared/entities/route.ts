import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import {
  Id,
  Bool,
  Enum,
  ForeignRef,
  Int,
  KMap,
  KSet,
  Name,
  Nullable,
  Rec,
  Str,
  Tags,
  Timestamp,
} from '../schema/kong-types';
import type { FieldError } from '../schema/validator';
import { ENTITY_CHECK } from '../errors';
import type { EntityDefinition } from './definition';

const ROUTE_PROTOCOLS = [
  'grpc',
  'grpcs',
  'http',
  'https',
  'tcp',
  'tls',
  'tls_passthrough',
  'udp',
  'ws',
  'wss',
] as const;

const RoutePath = () =>
  Str({ pattern: '^[/~]', kongMessage: 'should start with: / (fixed path) or ~/ (regex path)' });
const RouteHost = () =>
  Str({
    minLength: 1,
    pattern: '^(?:\\*\\.)?[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?(?:\\.\\*)?(?::\\d+)?$|^\\*$',
    kongMessage: 'invalid value: {value}',
  });
const Method = () =>
  Str({ pattern: '^[A-Z]+$', kongMessage: "invalid value '{value}': expected an uppercase HTTP method" });
const CidrPort = () => Rec({ ip: Nullable(Str()), port: Nullable(Int({ minimum: 0, maximum: 65535 })) });

const routeSchema = Rec(
  {
    id: Id(),
    created_at: Timestamp(),
    updated_at: Timestamp(),
    name: Nullable(Name()),
    protocols: KSet(Enum(ROUTE_PROTOCOLS), { default: ['http', 'https'], minItems: 1 }),
    methods: Nullable(KSet(Method())),
    hosts: Nullable(Type.Array(RouteHost())),
    paths: Nullable(Type.Array(RoutePath())),
    headers: Nullable(KMap(Type.Array(Str()))),
    https_redirect_status_code: Type.Unsafe<number>({
      type: 'integer',
      enum: [426, 301, 302, 307, 308],
      default: 426,
    }),
    regex_priority: Int({ default: 0 }),
    strip_path: Bool({ default: true }),
    path_handling: Enum(['v0', 'v1'], { default: 'v0' }),
    preserve_host: Bool({ default: false }),
    request_buffering: Bool({ default: true }),
    response_buffering: Bool({ default: true }),
    snis: Nullable(KSet(Str())),
    sources: Nullable(KSet(CidrPort())),
    destinations: Nullable(KSet(CidrPort())),
    tags: Tags(),
    service: Nullable(ForeignRef()),
  },
  { required: ['protocols'] },
);

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

function checkRoute(r: Record<string, any>): FieldError[] {
  const errors: FieldError[] = [];
  const protocols: string[] = r.protocols ?? [];
  const http = protocols.includes('http') || protocols.includes('ws');
  const https = protocols.includes('https') || protocols.includes('wss');
  if (http || https) {
    const fields =
      https && !http
        ? ['methods', 'hosts', 'headers', 'paths', 'snis']
        : ['methods', 'hosts', 'headers', 'paths'];
    if (fields.every((f) => isEmpty(r[f]))) {
      const proto = https && !http ? 'https' : 'http';
      errors.push({
        path: [ENTITY_CHECK],
        message: `must set one of ${fields.map((f) => `'${f}'`).join(', ')} when 'protocols' is '${proto}'`,
      });
    }
  }
  (r.paths ?? []).forEach((p: string, i: number) => {
    if (typeof p !== 'string') return;
    if (p.startsWith('~')) {
      try {
        new RegExp(p.slice(1));
      } catch (e) {
        errors.push({
          path: ['paths', i],
          message: `invalid regex: '${p.slice(1)}' (${(e as Error).message})`,
        });
      }
    } else if (/\/\//.test(p)) {
      errors.push({ path: ['paths', i], message: 'must not have empty segments' });
    }
  });
  return errors;
}

/** A route as stored and as in a snapshot: validated, defaults filled (every field present). */
export type Route = Static<typeof routeSchema>;
export const routeEntity: EntityDefinition = {
  name: 'routes',
  singular: 'route',
  schema: routeSchema,
  endpointKey: 'name',
  unique: ['name'],
  foreignKeys: [{ field: 'service', references: 'services', onDelete: 'restrict' }],
  check: checkRoute,
};
