import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import {
  Id,
  Bool,
  Enum,
  ForeignRef,
  Int,
  Name,
  Nullable,
  Port,
  Rec,
  Str,
  Tags,
  Timeout,
  Timestamp,
  Uuid,
} from '../schema/kong-types';
import type { FieldError } from '../schema/validator';
import type { EntityDefinition } from './definition';

const SERVICE_PROTOCOLS = [
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

const Host = () =>
  Str({
    minLength: 1,
    maxLength: 256,
    pattern: '^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?|\\[[0-9A-Fa-f:.]+\\])$',
    kongMessage: 'invalid value: {value}',
  });

const UrlPath = () => Str({ pattern: '^/', kongMessage: 'should start with: /' });

const serviceSchema = Rec(
  {
    id: Id(),
    created_at: Timestamp(),
    updated_at: Timestamp(),
    name: Nullable(Name()),
    retries: Int({ minimum: 0, maximum: 32767, default: 5 }),
    protocol: Enum(SERVICE_PROTOCOLS, { default: 'http' }),
    host: Host(),
    port: Port({ default: 80 }),
    path: Nullable(UrlPath()),
    connect_timeout: Timeout(),
    write_timeout: Timeout(),
    read_timeout: Timeout(),
    tags: Tags(),
    client_certificate: Nullable(ForeignRef('certificates')),
    tls_verify: Nullable(Bool()),
    tls_verify_depth: Nullable(Int({ minimum: 0, maximum: 64 })),
    ca_certificates: Nullable(Type.Array(Uuid())),
    enabled: Bool({ default: true }),
  },
  { required: ['host', 'protocol', 'port'] },
);

const DEFAULT_PORTS: Record<string, number> = {
  http: 80,
  https: 443,
  ws: 80,
  wss: 443,
  grpc: 80,
  grpcs: 443,
};

/** Kong's `url` shorthand: write-only, expands to protocol/host/port/path. */
function expandUrl(input: Record<string, any>): { value: Record<string, any>; errors: FieldError[] } {
  if (input.url === undefined) return { value: input, errors: [] };
  const { url, ...rest } = input;
  if (url === null) return { value: rest, errors: [] };
  // A field `url` replaces that is wrong-typed beside it stays, so the schema reports it: an
  // error, never silently overridden.
  const wrong = wrongUrlFields(rest);
  if (typeof url !== 'string')
    return { value: rest, errors: [{ path: ['url'], message: 'expected a string' }] };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { value: rest, errors: [{ path: ['url'], message: `invalid url: ${url}` }] };
  }
  const protocol = parsed.protocol.replace(/:$/, '');
  const value: Record<string, any> = {
    ...rest,
    protocol,
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : (DEFAULT_PORTS[protocol] ?? 80),
  };
  // "http://h" has no path; "http://h/" keeps "/" (as Kong's url parser does).
  const hasPath = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*\//i.test(url);
  try {
    value.path = hasPath ? decodeURI(parsed.pathname) : null;
  } catch {
    return { value: rest, errors: [{ path: ['url'], message: `invalid url: ${url}` }] };
  }
  for (const f of wrong) value[f] = rest[f];
  return { value, errors: [] };
}

function wrongUrlFields(input: Record<string, any>): string[] {
  const wrong: string[] = [];
  const p = input.port;
  if (p !== undefined && p !== null && !(Number.isInteger(p) && p >= 0 && p <= 65535)) wrong.push('port');
  for (const f of ['protocol', 'host', 'path'])
    if (input[f] !== undefined && input[f] !== null && typeof input[f] !== 'string') wrong.push(f);
  return wrong;
}

function checkService(s: Record<string, any>): FieldError[] {
  const errors: FieldError[] = [];
  const httpLike = ['http', 'https', 'grpc', 'grpcs', 'ws', 'wss'].includes(s.protocol);
  if (!httpLike && s.path != null) {
    errors.push({ path: ['path'], message: `value must be null when 'protocol' is '${s.protocol}'` });
  }
  if (s.path && /\/\/|[?#]/.test(s.path)) {
    errors.push({ path: ['path'], message: 'must not have empty segments, queries or fragments' });
  }
  return errors;
}

/** A service as stored and as in a snapshot: validated, defaults filled (every field present). */
export type Service = Static<typeof serviceSchema>;
export const serviceEntity: EntityDefinition = {
  name: 'services',
  singular: 'service',
  schema: serviceSchema,
  endpointKey: 'name',
  unique: ['name'],
  foreignKeys: [{ field: 'client_certificate', references: 'certificates', onDelete: 'restrict' }],
  expand: expandUrl,
  check: checkService,
};
