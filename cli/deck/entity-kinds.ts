/**
 * What the reconciler knows of each kind of entity: its table, its natural key (how a file's
 * entity matches a stored one without an id) and decK's display name.
 */
import { ENTITY_LIST, PLUGIN_ENTITIES } from '../../shared/entities';
import type { Kind } from './target';

export type Entity = Record<string, any>;

/**
 * Entities decK writes under a parent, by kind: plugin-owned ones (their singular,
 * `keyauth_credential`) and an upstream's targets; matched by their cache key.
 */
export const OWNED = new Map(ENTITY_LIST.filter((e) => e.nestedUnder).map((e) => [e.singular, e]));

export const TABLE: Record<string, string> = {
  service: 'services',
  route: 'routes',
  consumer: 'consumers',
  consumer_group: 'consumer_groups',
  plugin: 'plugins',
  upstream: 'upstreams',
  target: 'targets',
  certificate: 'certificates',
  sni: 'snis',
  ca_certificate: 'ca_certificates',
  vault: 'vaults',
  key_set: 'key_sets',
  key: 'keys',
  ...Object.fromEntries(PLUGIN_ENTITIES.map((e) => [e.singular, e.name])),
};
/** Parents before children: creates and updates go in this order, deletes in reverse. */
export const KIND_ORDER: Kind[] = [
  'vault',
  'key_set',
  'key',
  'certificate',
  'ca_certificate',
  'consumer_group',
  'upstream',
  'service',
  'consumer',
  'route',
  ...OWNED.keys(),
  'membership',
  'plugin',
];

export function naturalKey(kind: Kind, e: Entity): string | null {
  switch (kind) {
    case 'service':
    case 'route':
    case 'consumer_group':
    case 'upstream':
      return e.name ?? null;
    case 'vault':
      return e.prefix ?? null;
    case 'key_set':
      return e.name ?? null;
    case 'key':
      // Kong's cache key: kid within its set (a name, when it has one, is unique on its own).
      return e.name != null ? `n:${e.name}` : `k:${e.kid}|${e.set?.id ?? ''}`;
    case 'certificate':
    case 'ca_certificate':
      // decK matches a certificate without an id by its content.
      return typeof e.cert === 'string' ? e.cert.trim() : null;
    case 'consumer':
      return e.username != null ? `u:${e.username}` : e.custom_id != null ? `c:${e.custom_id}` : null;
    case 'plugin':
      return [e.name, e.service?.id, e.route?.id, e.consumer?.id, e.consumer_group?.id]
        .map((x) => x ?? '')
        .join('|');
    case 'membership':
      return `${e.consumer_group.id}|${e.consumer.id}`;
    default: {
      // A plugin-owned entity: its cache key (key-auth's key, basic-auth's username).
      const fields = OWNED.get(kind)?.cacheKey ?? [];
      // A reference by its id (an ACL's consumer).
      const part = (f: string) => (e[f] && typeof e[f] === 'object' ? e[f].id : e[f]);
      return fields.length && fields.every((f) => part(f) != null) ? fields.map(part).join('|') : null;
    }
  }
}

export function label(kind: Kind): string {
  return OWNED.get(kind)?.deckLabel ?? (kind === 'consumer_group' ? 'consumer-group' : kind);
}

/** decK's names: plugins read `<name> for service s and route r …` or `<name> (global)`. */
export function displayName(kind: Kind, e: Entity, names: Map<string, string>): string {
  switch (kind) {
    case 'consumer':
      return e.username ?? e.custom_id ?? e.id;
    case 'certificate':
    case 'ca_certificate':
      return e.id;
    case 'vault':
      return e.prefix ?? e.id;
    case 'key':
      return e.name ?? e.kid ?? e.id;
    case 'plugin': {
      const parts: string[] = [];
      if (e.service) parts.push(`service ${names.get(e.service.id) ?? e.service.id}`);
      if (e.route) parts.push(`route ${names.get(e.route.id) ?? e.route.id}`);
      if (e.consumer) parts.push(`consumer ${names.get(e.consumer.id) ?? e.consumer.id}`);
      if (e.consumer_group)
        parts.push(`consumer-group ${names.get(e.consumer_group.id) ?? e.consumer_group.id}`);
      const who = e.instance_name ? `${e.name} (${e.instance_name})` : e.name;
      return parts.length ? `${who} for ${parts.join(' and ')}` : `${who} (global)`;
    }
    default: {
      const def = OWNED.get(kind);
      if (!def) return e.name ?? e.id;
      // Named by id when a field is a secret (a key, a password), else by its own cache key.
      const keys = (def.cacheKey ?? []).filter((f) => f !== def.nestedUnder);
      const own =
        def.secretFields?.length || !keys.length || keys.some((f) => e[f] == null)
          ? e.id
          : keys.map((f) => (typeof e[f] === 'object' ? e[f].id : e[f])).join('|');
      const parent = def.nestedUnder && e[def.nestedUnder]?.id;
      return parent ? `${own} for ${def.nestedUnder} ${names.get(parent) ?? parent}` : own;
    }
  }
}
