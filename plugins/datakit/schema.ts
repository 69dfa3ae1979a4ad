import { Type, type TSchema } from '@sinclair/typebox';
import { Bool, Enum, Int, KMap, Nullable, Rec, Str, JWT_ALGS } from '../../shared/schema/kong-types';
import { prefixErrors, validate, type FieldError } from '../../shared/schema/validator';
import { definePlugin } from '../../shared/plugins/definition';
import { RedisRecord } from '../lib/redis';
import { compileJq } from '../../shared/jq';
import { buildGraph, type NodeConfig } from './graph';

/** Nodes every Datakit graph has; configs may wire to them but not redefine them. */
export const DATAKIT_IMPLICIT_NODES = [
  'request',
  'service_request',
  'service_response',
  'response',
  'vault',
] as const;

const Label = () => Str({ minLength: 1, maxLength: 255 });
const NodeName = () =>
  Str({
    minLength: 1,
    maxLength: 255,
    pattern: '^[A-Za-z_][A-Za-z0-9_-]*$',
    kongMessage: "invalid node name '{value}': use letters, digits, '_' and '-'",
  });
const Wiring = (fixedInputs?: string[], fixedOutputs?: string[]) => ({
  name: NodeName(),
  input: Nullable(Label()),
  output: Nullable(Label()),
  inputs: Nullable(
    fixedInputs ? Rec(Object.fromEntries(fixedInputs.map((f) => [f, Nullable(Label())]))) : KMap(Label()),
  ),
  outputs: Nullable(
    fixedOutputs ? Rec(Object.fromEntries(fixedOutputs.map((f) => [f, Nullable(Label())]))) : KMap(Label()),
  ),
});
const node = (
  type: string,
  props: Record<string, TSchema>,
  wiring: ReturnType<typeof Wiring>,
  required: string[] = [],
) => Rec({ type: Type.Literal(type), ...wiring, ...props }, { required: ['name', 'type', ...required] });

export const DATAKIT_NODE_SCHEMAS: Record<string, TSchema> = {
  jq: node('jq', { jq: Str({ minLength: 1, maxLength: 10240 }) }, Wiring(), ['jq']),
  branch: node(
    'branch',
    {
      then: Nullable(Type.Array(Label(), { minItems: 1, maxItems: 64 })),
      else: Nullable(Type.Array(Label(), { minItems: 1, maxItems: 64 })),
    },
    Wiring(undefined, ['then', 'else']),
  ),
  static: node('static', { values: Type.Object({}) }, Wiring(), ['values']),
  exit: node(
    'exit',
    { status: Int({ minimum: 200, maximum: 599, default: 200 }), warn_headers_sent: Nullable(Bool()) },
    Wiring(['body', 'headers'], []),
  ),
  call: node(
    'call',
    {
      url: Nullable(Str()),
      method: Str({
        minLength: 1,
        maxLength: 32,
        pattern: '^[A-Z]+$',
        default: 'GET',
        kongMessage: "invalid method '{value}'",
      }),
      timeout: Nullable(Int({ minimum: 0, maximum: 2147483646 })),
      ssl_verify: Bool({ default: true }),
      ssl_server_name: Nullable(Str()),
    },
    Wiring(
      [
        'body',
        'headers',
        'query',
        'url',
        'http_proxy',
        'https_proxy',
        'proxy_auth_username',
        'proxy_auth_password',
      ],
      ['body', 'headers', 'status', 'raw_body'],
    ),
  ),
  property: node(
    'property',
    {
      property: Str({ minLength: 1, maxLength: 255 }),
      content_type: Nullable(Enum(['application/json', 'application/octet-stream', 'text/plain'])),
    },
    Wiring(),
    ['property'],
  ),
  cache: node(
    'cache',
    { ttl: Nullable(Int({ minimum: 0 })), bypass_on_error: Nullable(Bool()) },
    Wiring(['key', 'ttl', 'data'], ['hit', 'miss', 'stored', 'data']),
  ),
  xml_to_json: node(
    'xml_to_json',
    {
      root_element_name: Nullable(Str({ minLength: 1, maxLength: 64 })),
      attributes_block_name: Nullable(Str({ minLength: 1, maxLength: 32 })),
      attributes_name_prefix: Nullable(Str({ minLength: 1, maxLength: 32 })),
      text_block_name: Str({ minLength: 1, maxLength: 32, default: '#text' }),
      text_as_property: Bool({ default: false }),
      recognize_type: Bool({ default: true }),
      xpath: Nullable(Str({ minLength: 1, maxLength: 256 })),
    },
    Wiring(),
  ),
  json_to_xml: node(
    'json_to_xml',
    {
      root_element_name: Nullable(Str({ minLength: 1, maxLength: 64 })),
      attributes_block_name: Nullable(Str({ minLength: 1, maxLength: 32 })),
      attributes_name_prefix: Nullable(Str({ minLength: 1, maxLength: 32 })),
      text_block_name: Str({ minLength: 1, maxLength: 32, default: '#text' }),
    },
    Wiring(),
  ),
  jwt_decode: node('jwt_decode', {}, Wiring(undefined, ['header', 'payload', 'signature'])),
  jwt_sign: node(
    'jwt_sign',
    {
      algorithm: Enum(JWT_ALGS),
      expires_in: Int({ default: 300 }),
      not_before: Int({ default: 0 }),
      kid: Nullable(Str()),
      typ: Str({ default: 'JWT' }),
      static_claims: KMap(Str(), { default: {} }),
    },
    Wiring(['claims', 'key'], ['token', 'header', 'claims']),
    ['algorithm'],
  ),
  jwt_verify: node(
    'jwt_verify',
    {
      allowed_algorithms: Type.Array(Enum(JWT_ALGS), { default: [] }),
      audiences: Type.Array(Str(), { default: [] }),
      issuers: Type.Array(Str(), { default: [] }),
      required_claims: Type.Array(Str(), { default: [] }),
      leeway: Int({ minimum: 0, default: 0 }),
      validate_exp: Bool({ default: true }),
      validate_nbf: Bool({ default: true }),
    },
    Wiring(['token', 'key'], ['claims', 'header']),
  ),
};

export const DATAKIT_NODE_TYPES = Object.keys(DATAKIT_NODE_SCHEMAS);

const GenericNode = Type.Object(
  { name: Str(), type: Enum(DATAKIT_NODE_TYPES) },
  { required: ['name', 'type'], additionalProperties: true },
);

/** Properties a `property` node can read (and the ones it can only write). */
export const DATAKIT_READABLE_PROPERTIES = [
  'kong.client.consumer',
  'kong.client.consumer_groups',
  'kong.client.credential',
  'kong.client.ip',
  'kong.client.port',
  'kong.client.protocol',
  'kong.request.port',
  'kong.request.forwarded_host',
  'kong.request.forwarded_scheme',
  'kong.response.source',
  'kong.router.route',
  'kong.router.service',
  'kong.route_id',
  'kong.route_name',
  'kong.service_id',
  'kong.service_name',
  'kong.service.response.status',
  'kong.version',
];
export const DATAKIT_WRITE_ONLY_PROPERTIES = ['kong.service.target'];
const CTX_PROPERTY = /^kong\.ctx\.(shared|plugin)\.[A-Za-z0-9_.-]+$/;

export function isDatakitProperty(name: string): boolean {
  return (
    DATAKIT_READABLE_PROPERTIES.includes(name) ||
    DATAKIT_WRITE_ONLY_PROPERTIES.includes(name) ||
    CTX_PROPERTY.test(name)
  );
}

/** The node types this gateway's data planes execute; configs using others are refused. */
export const DATAKIT_RUNNABLE_TYPES = ['jq', 'branch', 'static', 'exit', 'call', 'property'];

/** Per-type validation (with defaults), unique names, runnable types and jq filters, wiring, no cycles. */
function checkDatakit(config: Record<string, any>): FieldError[] {
  const errors: FieldError[] = [];
  const nodes: Record<string, any>[] = config.nodes ?? [];
  const names = new Map<string, number>();
  nodes.forEach((n, i) => {
    const result = validate(DATAKIT_NODE_SCHEMAS[n.type], n);
    if (!result.ok) {
      errors.push(...prefixErrors(['nodes', i], result.errors));
      return;
    }
    nodes[i] = result.value;
    if ((DATAKIT_IMPLICIT_NODES as readonly string[]).includes(n.name)) {
      errors.push({ path: ['nodes', i, 'name'], message: `reserved name '${n.name}'` });
    } else if (names.has(n.name)) {
      errors.push({ path: ['nodes', i, 'name'], message: `duplicate node name '${n.name}'` });
    } else names.set(n.name, i);
  });
  if (errors.length) return errors;

  nodes.forEach((n, i) => {
    if (!DATAKIT_RUNNABLE_TYPES.includes(n.type))
      errors.push({
        path: ['nodes', i, 'type'],
        message: `node type '${n.type}' is not supported by Tollgate (supported: ${DATAKIT_RUNNABLE_TYPES.join(', ')})`,
      });
    if (n.type === 'property' && !isDatakitProperty(n.property))
      errors.push({ path: ['nodes', i, 'property'], message: `unknown property '${n.property}'` });
    if (n.type === 'jq') {
      try {
        compileJq(n.jq);
      } catch (err) {
        errors.push({ path: ['nodes', i, 'jq'], message: `invalid jq filter: ${(err as Error).message}` });
      }
    }
  });
  const vaultNames = Object.keys(config.resources?.vault ?? {});
  errors.push(...buildGraph(nodes as NodeConfig[], vaultNames).errors);
  return errors;
}

export const datakitPlugin = definePlugin({
  name: 'datakit',
  version: '3.12.0',
  priority: 810,
  schema: {
    ...{},
    type: 'object',
    kongType: 'record',
    additionalProperties: false,
    required: ['nodes'],
    properties: {
      nodes: Type.Array(GenericNode, { minItems: 1, maxItems: 64 }),
      debug: Bool({ default: false }),
      resources: Nullable(
        Rec({
          cache: Nullable(
            Rec({
              strategy: Nullable(Enum(['memory', 'redis'])),
              memory: Nullable(Rec({ dictionary_name: Str({ default: 'kong_db_cache' }) })),
              redis: Nullable(RedisRecord()),
            }),
          ),
          vault: Nullable(KMap(Str({ minLength: 1, maxLength: 4095 }), { minProperties: 1 })),
        }),
      ),
    },
  } as any,
  check: checkDatakit,
});

export default datakitPlugin;
