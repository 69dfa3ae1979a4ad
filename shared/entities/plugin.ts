import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import {
  Id,
  Bool,
  Enum,
  ForeignRef,
  KSet,
  Name,
  Nullable,
  Rec,
  Str,
  Tags,
  Timestamp,
} from '../schema/kong-types';
import { prefixErrors, validate, type FieldError } from '../schema/validator';
import { PLUGINS } from '../plugins/registry';
import { DEFAULT_PLUGIN_PROTOCOLS } from '../plugins/definition';
import { mustPrecede } from '../plugins/order-rules';
import type { EntityDefinition } from './definition';

const PLUGIN_PROTOCOLS = [
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

const PhaseList = () => Rec({ access: Nullable(Type.Array(Str())) });

const pluginSchema = Rec(
  {
    id: Id(),
    created_at: Timestamp(),
    updated_at: Timestamp(),
    name: Str({ minLength: 1 }),
    instance_name: Nullable(Name()),
    config: Nullable(Type.Object({}, { kongType: 'record' })),
    protocols: KSet(Enum(PLUGIN_PROTOCOLS), { minItems: 1 }),
    enabled: Bool({ default: true }),
    service: Nullable(ForeignRef()),
    route: Nullable(ForeignRef()),
    consumer: Nullable(ForeignRef()),
    consumer_group: Nullable(ForeignRef()),
    ordering: Nullable(Rec({ before: Nullable(PhaseList()), after: Nullable(PhaseList()) })),
    tags: Tags(),
  },
  { required: ['name', 'protocols'] },
);

/**
 * A plugin's `config` is validated by its own schema; unknown plugins are schema violations.
 * Runs before the entity schema so defaults (protocols, config) come from the plugin.
 */
function expandPlugin(
  input: Record<string, any>,
  coerce = false,
): { value: Record<string, any>; errors: FieldError[] } {
  if (typeof input.name !== 'string') return { value: input, errors: [] };
  const def = PLUGINS.get(input.name);
  if (!def) return { value: input, errors: [unknownPlugin(input.name)] };
  const value = { ...input };
  if (value.protocols === undefined || value.protocols === null)
    value.protocols = def.protocols ?? DEFAULT_PLUGIN_PROTOCOLS;
  const result = validate(def.schema, value.config ?? {}, coerce);
  if (!result.ok) return { value, errors: prefixErrors(['config'], result.errors) };
  const extra = [...(def.check?.(result.value) ?? []), ...(def.supported?.(result.value) ?? [])];
  value.config = result.value;
  return { value, errors: prefixErrors(['config'], extra) };
}

function unknownPlugin(name: string): FieldError {
  return {
    path: ['name'],
    message: `plugin '${name}' not enabled; add it to the 'plugins' configuration property`,
  };
}

function checkPlugin(p: Record<string, any>): FieldError[] {
  const def = PLUGINS.get(p.name);
  if (!def) return [unknownPlugin(p.name)];
  const errors: FieldError[] = [];
  if (def.noConsumer && p.consumer) errors.push({ path: ['consumer'], message: 'value must be null' });
  if (def.noConsumerGroup && p.consumer_group)
    errors.push({ path: ['consumer_group'], message: 'value must be null' });
  errors.push(...orderingViolations(p));
  const allowed = def.protocols ?? DEFAULT_PLUGIN_PROTOCOLS;
  (p.protocols ?? []).forEach((proto: string, i: number) => {
    if (!allowed.includes(proto))
      errors.push({ path: ['protocols', i], message: `expected one of: ${allowed.join(', ')}` });
  });
  return errors;
}

/** An `ordering` that would run a guard's plugins the wrong way round (shared/plugins/order-rules.ts). */
function orderingViolations(p: Record<string, any>): FieldError[] {
  const errors: FieldError[] = [];
  const check = (when: 'before' | 'after') =>
    (p.ordering?.[when]?.access ?? []).forEach((other: string, i: number) => {
      const [first, then] = when === 'before' ? [other, p.name] : [p.name, other];
      const rule = mustPrecede(first, then);
      if (rule)
        errors.push({
          path: ['ordering', when, 'access', i],
          message: `'${p.name}' may not run ${when} '${other}': '${first}' must run before '${then}' (${rule.why})`,
        });
    });
  check('before');
  check('after');
  return errors;
}

/** Kong's plugin cache key: one plugin of a name per scope. */

/** A plugin as stored and as in a snapshot: validated, defaults filled (every field present). */
export type PluginEntity = Static<typeof pluginSchema>;
export function pluginCacheKey(p: Record<string, any>): string {
  return [
    'plugins',
    p.name,
    p.route?.id ?? '',
    p.service?.id ?? '',
    p.consumer?.id ?? '',
    p.consumer_group?.id ?? '',
  ].join(':');
}

export const pluginEntity: EntityDefinition & { expandWith: typeof expandPlugin } = {
  name: 'plugins',
  singular: 'plugin',
  schema: pluginSchema,
  endpointKey: 'instance_name',
  unique: ['instance_name'],
  foreignKeys: [
    { field: 'service', references: 'services', onDelete: 'cascade' },
    { field: 'route', references: 'routes', onDelete: 'cascade' },
    { field: 'consumer', references: 'consumers', onDelete: 'cascade' },
    { field: 'consumer_group', references: 'consumer_groups', onDelete: 'cascade' },
  ],
  expand: (input) => expandPlugin(input),
  expandWith: expandPlugin,
  check: checkPlugin,
};
