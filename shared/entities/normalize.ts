import { validate, type FieldError } from '../schema/validator';
import type { EntityDefinition } from './definition';
import { pluginEntity } from './plugin';

export type Normalized = { ok: true; value: Record<string, any> } | { ok: false; errors: FieldError[] };

/**
 * One entity as the control plane stores it: shorthand expanded (a service's `url`, a plugin's
 * config with its own schema), field validation with defaults, then entity-level checks.
 * The Admin API (writes and schema validation endpoints) and the CLI all go through here.
 */
export function normalizeEntity(
  def: EntityDefinition,
  input: Record<string, any>,
  coerce = false,
): Normalized {
  const expanded =
    def === pluginEntity
      ? pluginEntity.expandWith(input, coerce)
      : def.expand
        ? def.expand(input)
        : { value: input, errors: [] };
  // An unknown plugin has no schema to say more with.
  if (def === pluginEntity && expanded.errors.some((e) => e.path[0] === 'name'))
    return { ok: false, errors: expanded.errors };
  const result = validate(def.schema, expanded.value, coerce);
  const errors = [...expanded.errors, ...(result.ok ? [] : result.errors)];
  if (!result.ok || errors.length) return { ok: false, errors };
  const value = result.value;
  if (def === pluginEntity) value.config = expanded.value.config;
  const checks = def.check?.(value) ?? [];
  return checks.length ? { ok: false, errors: checks } : { ok: true, value };
}
