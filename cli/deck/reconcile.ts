/**
 * Target (file) versus current (control plane): which entities to create, update and delete.
 * Target entities are normalised with the same shared schemas the control plane uses, so
 * defaults never show up as differences.
 */
import { randomUUID } from 'node:crypto';
import { canonicalJson } from '../../shared/canonical-json';
import { ENTITIES, PLUGIN_ENTITIES, type EntityDefinition } from '../../shared/entities';
import { describeErrors } from '../../shared/errors';
import { normalizeEntity } from '../../shared/entities/normalize';
import type { SnapshotConfig } from '../../shared/snapshot';
import type { BatchOperation } from '../../shared/batch-operation';
import type { Item, Kind, ParentKind, Ref, TargetState } from './target';

export type Entity = Record<string, any>;
export type Action = 'create' | 'update' | 'delete';

export interface Change {
  action: Action;
  kind: Kind;
  display: string;
  old?: Entity;
  new?: Entity;
  op: BatchOperation;
}

export interface Plan {
  changes: Change[];
  errors: string[];
}

/** Plugin-owned entities by kind (their singular, `keyauth_credential`). */
const OWNED = new Map(PLUGIN_ENTITIES.map((e) => [e.singular, e]));

const TABLE: Record<string, string> = {
  service: 'services',
  route: 'routes',
  consumer: 'consumers',
  consumer_group: 'consumer_groups',
  plugin: 'plugins',
  ...Object.fromEntries(PLUGIN_ENTITIES.map((e) => [e.singular, e.name])),
};
/** Parents before children: creates and updates go in this order, deletes in reverse. */
export const KIND_ORDER: Kind[] = [
  'consumer_group',
  'service',
  'consumer',
  'route',
  ...OWNED.keys(),
  'membership',
  'plugin',
];

function naturalKey(kind: Kind, e: Entity): string | null {
  switch (kind) {
    case 'service':
    case 'route':
    case 'consumer_group':
      return e.name ?? null;
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
      return fields.length && fields.every((f) => e[f] != null) ? fields.map((f) => e[f]).join('|') : null;
    }
  }
}

function strip(e: Entity): Entity {
  const { created_at: _c, updated_at: _u, ...rest } = e;
  return rest;
}

export function planChanges(
  target: TargetState,
  current: SnapshotConfig,
  opts: { sync: boolean; offline?: boolean },
): Plan {
  const errors: string[] = [];
  const scope = target.selectTags;
  const inScope = (e: Entity) => scope.every((t) => Array.isArray(e.tags) && e.tags.includes(t));

  // Current entities: all of them resolve references; only those in scope are matched or deleted.
  const all = new Map<Kind, Entity[]>();
  for (const kind of Object.keys(TABLE)) all.set(kind, ((current as any)[TABLE[kind]] ?? []) as Entity[]);
  const byId = new Map<string, Entity>();
  const byKey = new Map<string, Entity>(); // `${kind}:${key}` (in scope only, for matching)
  const anyByName = new Map<string, Entity>(); // `${kind}:${name}` (for references)
  for (const [kind, list] of all) {
    for (const e of list) {
      byId.set(e.id, e);
      const k = naturalKey(kind, e);
      if (k !== null && inScope(e)) byKey.set(`${kind}:${k}`, e);
      if (kind === 'consumer') {
        if (e.username != null) anyByName.set(`consumer:${e.username}`, e);
        if (e.custom_id != null && !anyByName.has(`consumer:${e.custom_id}`))
          anyByName.set(`consumer:${e.custom_id}`, e);
      } else if (e.name != null) anyByName.set(`${kind}:${e.name}`, e);
    }
  }

  // 1. Ids for target entities (parents first), so children can reference them.
  const targetByName = new Map<string, string>();
  /** Entities of the file that failed validation: references to them are not errors of their own. */
  const invalid = new Set<string>();
  const sorted = [...target.items].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
  const assigned = new Map<Item, string>();
  const resolveRef = (item: Item, field: ParentKind, ref: Ref): string | null => {
    if (ref.id) {
      if (byId.has(ref.id) || [...assigned.values()].includes(ref.id)) return ref.id;
      if (opts.offline) return ref.id;
      errors.push(`${item.where}: ${field} '${ref.id}' not found`);
      return null;
    }
    const hit =
      targetByName.get(`${field}:${ref.name}`) ??
      (opts.offline ? undefined : anyByName.get(`${field}:${ref.name}`)?.id);
    // Reported once, at its cause (the entity's own error), never again by each reference.
    if (!hit && invalid.has(`${field}:${ref.name}`)) return null;
    if (!hit)
      errors.push(`${item.where}: ${field} '${ref.name}' not found${opts.offline ? ' in the file' : ''}`);
    return hit ?? null;
  };

  const targetDocs: { item: Item; doc: Entity; def?: EntityDefinition }[] = [];
  for (const item of sorted) {
    const body: Entity = { ...item.body };
    for (const [field, ref] of Object.entries(item.refs) as [ParentKind, Ref][]) {
      const id = resolveRef(item, field, ref);
      if (id) body[field] = { id };
    }
    if (item.kind === 'membership') {
      if (body.consumer && body.consumer_group) targetDocs.push({ item, doc: body });
      continue;
    }
    const def = ENTITIES.get(TABLE[item.kind])!;
    // Normalise exactly as the control plane will (defaults, url shorthand, plugin config).
    const normalized = normalizeEntity(def, body);
    if (!normalized.ok) {
      for (const line of describeErrors(normalized.errors)) errors.push(`${item.where}: ${line}`);
      for (const name of [body.name, body.username, body.custom_id])
        if (typeof name === 'string') invalid.add(`${item.kind}:${name}`);
      continue;
    }
    const doc: Entity = normalized.value;
    const key = naturalKey(item.kind, doc);
    const match =
      (doc.id && byId.get(doc.id)) || (key !== null ? byKey.get(`${item.kind}:${key}`) : undefined);
    doc.id = doc.id ?? match?.id ?? randomUUID();
    assigned.set(item, doc.id);
    if (item.kind === 'consumer') {
      if (doc.username != null) targetByName.set(`consumer:${doc.username}`, doc.id);
      if (doc.custom_id != null) targetByName.set(`consumer:${doc.custom_id}`, doc.id);
    } else if (doc.name != null && item.kind !== 'plugin')
      targetByName.set(`${item.kind}:${doc.name}`, doc.id);
    targetDocs.push({ item, doc, def });
  }
  if (errors.length) return { changes: [], errors };

  // 2. Compare.
  const names = new Map<string, string>();
  for (const [kind, list] of all) for (const e of list) names.set(e.id, displayName(kind, e, names));
  for (const t of targetDocs)
    if (t.item.kind !== 'membership') names.set(t.doc.id, displayName(t.item.kind, t.doc, names));

  const changes: Change[] = [];
  const matched = new Set<string>();
  const seenKeys = new Set<string>();
  for (const { item, doc, def } of targetDocs) {
    if (item.kind === 'membership') {
      const key = naturalKey('membership', doc)!;
      if (seenKeys.has(`m:${key}`)) continue;
      seenKeys.add(`m:${key}`);
      matched.add(`m:${key}`);
      const exists = current.consumer_group_consumers.some(
        (m) => `${m.consumer_group.id}|${m.consumer.id}` === key,
      );
      if (!exists) {
        changes.push({
          action: 'create',
          kind: 'membership',
          display: `consumer-group-consumer ${names.get(doc.consumer.id) ?? doc.consumer.id} for consumer-group ${names.get(doc.consumer_group.id) ?? doc.consumer_group.id}`,
          new: doc,
          op: { op: 'add_member', consumer_group: doc.consumer_group.id, consumer: doc.consumer.id },
        });
      }
      continue;
    }
    if (matched.has(doc.id)) {
      errors.push(`${item.where}: ${item.kind} ${names.get(doc.id)} appears more than once`);
      continue;
    }
    matched.add(doc.id);
    const old = byId.get(doc.id);
    // A stored value the file's matches in substance (a hashed password) is not a change.
    const body = old && def?.sameAsStored ? def.sameAsStored(doc, old) : doc;
    const op: BatchOperation = { op: 'upsert', entity: TABLE[item.kind], id: doc.id, body };
    const display = `${label(item.kind)} ${names.get(doc.id)}`;
    if (!old) changes.push({ action: 'create', kind: item.kind, display, new: doc, op });
    else if (canonicalJson(strip(old)) !== canonicalJson(strip(body)))
      changes.push({ action: 'update', kind: item.kind, display, old: strip(old), new: body, op });
  }

  if (opts.sync) {
    for (const [kind, list] of all) {
      for (const e of list) {
        if (!inScope(e) || matched.has(e.id)) continue;
        changes.push({
          action: 'delete',
          kind,
          display: `${label(kind)} ${names.get(e.id)}`,
          old: strip(e),
          op: { op: 'delete', entity: TABLE[kind], id: e.id },
        });
      }
    }
    for (const m of current.consumer_group_consumers) {
      const key = `${m.consumer_group.id}|${m.consumer.id}`;
      const consumer = byId.get(m.consumer.id);
      if (matched.has(`m:${key}`) || !consumer || !inScope(consumer)) continue;
      changes.push({
        action: 'delete',
        kind: 'membership',
        display: `consumer-group-consumer ${names.get(m.consumer.id)} for consumer-group ${names.get(m.consumer_group.id)}`,
        old: m,
        op: { op: 'remove_member', consumer_group: m.consumer_group.id, consumer: m.consumer.id },
      });
    }
  }
  // Children are deleted first, then creates and updates run top-down, then parents are
  // deleted: a route moved to another service is updated before its old service goes.
  const PARENTS: Kind[] = ['consumer', 'service', 'consumer_group'];
  const CHILD_DELETES: Kind[] = ['plugin', 'membership', ...OWNED.keys(), 'route'];
  const rank = (c: Change) =>
    c.action !== 'delete'
      ? 100 + KIND_ORDER.indexOf(c.kind)
      : PARENTS.includes(c.kind)
        ? 200 + PARENTS.indexOf(c.kind)
        : CHILD_DELETES.indexOf(c.kind);
  changes.sort((a, b) => rank(a) - rank(b));
  return { changes, errors };
}

function label(kind: Kind): string {
  return OWNED.get(kind)?.deckLabel ?? (kind === 'consumer_group' ? 'consumer-group' : kind);
}

/** decK's names: plugins read `<name> for service s and route r …` or `<name> (global)`. */
function displayName(kind: Kind, e: Entity, names: Map<string, string>): string {
  switch (kind) {
    case 'consumer':
      return e.username ?? e.custom_id ?? e.id;
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
      // Named by id when a field is a secret (a key, a password), else by its cache key.
      const own = def.secretFields?.length ? e.id : (naturalKey(kind, e) ?? e.id);
      const parent = def.nestedUnder && e[def.nestedUnder]?.id;
      return parent ? `${own} for ${def.nestedUnder} ${names.get(parent) ?? parent}` : own;
    }
  }
}
