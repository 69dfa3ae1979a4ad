import { Type, type TSchema } from '@sinclair/typebox';
import { Bool, Enum, Int, KMap, Nullable, Rec, Str } from '../schema/kong-types';
import { prefixErrors, validate, type FieldError } from '../schema/validator';
import type { PluginDefinition } from './definition';
import { RedisRecord } from './redis';

/** Nodes every Datakit graph has; configs may wire to them but not redefine them. */
export const DATAKIT_IMPLICIT_NODES = [
  'request',
  'service_request',
  'service_response',
  'response',
  'vault',
] as const;

const JWT_ALGS = [
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

/** Node name of a wiring label `NODE` or `NODE.FIELD`. */
export function labelNode(label: string): string {
  const dot = label.indexOf('.');
  return dot === -1 ? label : label.slice(0, dot);
}

function labelsOf(n: Record<string, any>, key: 'input' | 'output'): string[] {
  const out: string[] = [];
  if (typeof n[key] === 'string') out.push(n[key]);
  const map = n[`${key}s`];
  if (map && typeof map === 'object')
    for (const v of Object.values(map)) if (typeof v === 'string') out.push(v);
  return out;
}

/** Per-type validation (with defaults), unique names, known references, and no cycles. */
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

  const known = (name: string) =>
    names.has(name) || (DATAKIT_IMPLICIT_NODES as readonly string[]).includes(name);
  const edges = new Map<string, Set<string>>();
  const addEdge = (from: string, to: string) => {
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from)!.add(to);
  };
  nodes.forEach((n, i) => {
    for (const key of ['input', 'output'] as const) {
      for (const label of labelsOf(n, key)) {
        const other = labelNode(label);
        if (!known(other)) {
          errors.push({ path: ['nodes', i, key], message: `unknown node '${other}'` });
          continue;
        }
        if (key === 'input') addEdge(other, n.name);
        else addEdge(n.name, other);
      }
    }
    for (const key of ['then', 'else'] as const) {
      (n[key] ?? []).forEach((target: string, j: number) => {
        if (!names.has(target))
          errors.push({ path: ['nodes', i, key, j], message: `unknown node '${target}'` });
      });
    }
  });
  if (errors.length) return errors;

  // Depth-first search for a cycle in the data dependencies.
  const state = new Map<string, 1 | 2>();
  const visit = (name: string, trail: string[]): string[] | null => {
    if (state.get(name) === 2) return null;
    if (state.get(name) === 1) return [...trail.slice(trail.indexOf(name)), name];
    state.set(name, 1);
    for (const next of edges.get(name) ?? []) {
      const cycle = visit(next, [...trail, name]);
      if (cycle) return cycle;
    }
    state.set(name, 2);
    return null;
  };
  for (const name of names.keys()) {
    const cycle = visit(name, []);
    if (cycle) {
      errors.push({ path: ['nodes'], message: `circular dependency: ${cycle.join(' -> ')}` });
      break;
    }
  }
  return errors;
}

export const datakitPlugin: PluginDefinition = {
  name: 'datakit',
  version: '3.12.0',
  priority: 810,
  config: {
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
};
