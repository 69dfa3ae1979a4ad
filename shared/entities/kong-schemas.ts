/**
 * `/schemas/{entity}` and `/schemas/plugins/{name}` in Kong's format, derived from the
 * definitions (the JSON Schema plus what the definition says of unique fields, foreign keys
 * and secrets).
 */
import type { PluginDefinition } from '../plugins/definition';
import { DEFAULT_PLUGIN_PROTOCOLS } from '../plugins/definition';
import { toKongField, toKongRecord, type FieldContext, type KongSchema } from '../schema/kong-format';
import type { EntityDefinition } from './definition';
import { pluginEntity } from './plugin';

function fieldContext(def: EntityDefinition) {
  return (name: string): FieldContext => {
    const fk = def.foreignKeys.find((f) => f.field === name);
    return {
      unique: def.unique.includes(name),
      encrypted: def.secretFields?.includes(name),
      reference: fk && { entity: fk.references, onDelete: fk.onDelete },
    };
  };
}

export function kongEntitySchema(def: EntityDefinition): KongSchema {
  return { ...toKongRecord(def.schema, fieldContext(def)), entity_checks: [] };
}

/**
 * A plugin's subschema as Kong serves it: the plugin entity's fields the plugin constrains
 * (no consumer / consumer group scoping: `eq: null`), `protocols` with its default, and
 * `config` as a required record.
 */
export function kongPluginSchema(plugin: PluginDefinition): KongSchema {
  const fields: KongSchema['fields'] = [];
  const noScope = (field: string, entity: string) =>
    fields.push({ [field]: { type: 'foreign', reference: entity, eq: null } });
  if (plugin.noConsumer) noScope('consumer', 'consumers');
  if (plugin.noConsumerGroup) noScope('consumer_group', 'consumer_groups');
  const protocols = plugin.protocols ?? DEFAULT_PLUGIN_PROTOCOLS;
  const entityProtocols: any = (pluginEntity.schema as any).properties.protocols;
  fields.push({
    protocols: {
      ...toKongField(entityProtocols, true),
      elements: { type: 'string', one_of: [...protocols] },
      default: [...protocols],
    },
  });
  fields.push({ config: { type: 'record', required: true, ...toKongRecord(plugin.schema) } });
  return { fields, entity_checks: [] };
}
