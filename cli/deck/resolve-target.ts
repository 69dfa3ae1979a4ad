/**
 * Step 1 of a plan: the file's entities, parents first, with their references resolved (to the
 * file's own entities or the current config's), normalised and given ids.
 */
import { randomUUID } from 'node:crypto';
import { ENTITIES, type EntityDefinition } from '../../shared/entities';
import { describeErrors } from '../../shared/errors';
import { normalizeEntity } from '../../shared/entities/normalize';
import type { SnapshotConfig } from '../../shared/snapshot';
import { KIND_ORDER, TABLE, naturalKey, type Entity } from './entity-kinds';
import type { Item, Kind, ParentKind, Ref, TargetState } from './target';

/** The current config, indexed for matching the target against it. */
export interface CurrentIndex {
  all: Map<Kind, Entity[]>;
  byId: Map<string, Entity>;
  /** `${kind}:${key}` (in scope only, for matching) */
  byKey: Map<string, Entity>;
  /** `${kind}:${name}` (for references) */
  anyByName: Map<string, Entity>;
  inScope: (e: Entity) => boolean;
}

/** A target entity with its references resolved, normalised (but memberships) and given its id. */
export interface TargetDoc {
  item: Item;
  doc: Entity;
  def?: EntityDefinition;
}

/** Current entities: all of them resolve references; only those in scope are matched or deleted. */
export function indexCurrent(current: SnapshotConfig, scope: string[]): CurrentIndex {
  const inScope = (e: Entity) => scope.every((t) => Array.isArray(e.tags) && e.tags.includes(t));
  const all = new Map<Kind, Entity[]>();
  for (const kind of Object.keys(TABLE)) all.set(kind, ((current as any)[TABLE[kind]] ?? []) as Entity[]);
  const byId = new Map<string, Entity>();
  const byKey = new Map<string, Entity>();
  const anyByName = new Map<string, Entity>();
  for (const [kind, list] of all) {
    for (const e of list) {
      byId.set(e.id, e);
      const k = naturalKey(kind, e);
      if (k !== null && inScope(e)) byKey.set(`${kind}:${k}`, e);
      if (kind === 'consumer') {
        if (e.username != null) anyByName.set(`consumer:${e.username}`, e);
        if (e.custom_id != null && !anyByName.has(`consumer:${e.custom_id}`))
          anyByName.set(`consumer:${e.custom_id}`, e);
      } else if (kind === 'certificate' && typeof e.cert === 'string')
        anyByName.set(`certificate:cert:${e.cert.trim()}`, e);
      else if (e.name != null) anyByName.set(`${kind}:${e.name}`, e);
    }
  }
  return { all, byId, byKey, anyByName, inScope };
}

/** What resolving the target has found so far: later entities' references resolve against it. */
interface Resolution {
  index: CurrentIndex;
  offline: boolean;
  errors: string[];
  targetByName: Map<string, string>;
  /** Entities of the file that failed validation: references to them are not errors of their own. */
  invalid: Set<string>;
  assigned: Map<Item, string>;
}

export function resolveTarget(
  target: TargetState,
  index: CurrentIndex,
  offline: boolean,
  errors: string[],
): TargetDoc[] {
  const r: Resolution = {
    index,
    offline,
    errors,
    targetByName: new Map(),
    invalid: new Set(),
    assigned: new Map(),
  };
  const sorted = [...target.items].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
  const targetDocs: TargetDoc[] = [];
  for (const item of sorted) {
    const body: Entity = { ...item.body };
    for (const [field, ref] of Object.entries(item.refs) as [ParentKind, Ref][]) {
      const id = resolveRef(r, item, field, ref);
      if (id) body[field] = { id };
    }
    if (item.kind === 'membership') {
      if (body.consumer && body.consumer_group) targetDocs.push({ item, doc: body });
      continue;
    }
    const resolved = normalizeTargetEntity(r, item, body);
    if (resolved) targetDocs.push(resolved);
  }
  return targetDocs;
}

/** The kind a reference field names, where the two differ (a key's `set` is a key set). */
const REFERENCED_KIND: Partial<Record<ParentKind, Kind>> = { set: 'key_set' };

function resolveRef(r: Resolution, item: Item, field: ParentKind, ref: Ref): string | null {
  const kind = REFERENCED_KIND[field] ?? field;
  if (ref.id) {
    if (r.index.byId.has(ref.id) || [...r.assigned.values()].includes(ref.id)) return ref.id;
    if (r.offline) return ref.id;
    r.errors.push(`${item.where}: ${field} '${ref.id}' not found`);
    return null;
  }
  const hit =
    r.targetByName.get(`${kind}:${ref.name}`) ??
    (r.offline ? undefined : r.index.anyByName.get(`${kind}:${ref.name}`)?.id);
  // Reported once, at its cause (the entity's own error), never again by each reference.
  if (!hit && r.invalid.has(`${kind}:${ref.name}`)) return null;
  if (!hit)
    r.errors.push(`${item.where}: ${field} '${ref.name}' not found${r.offline ? ' in the file' : ''}`);
  return hit ?? null;
}

/** `body` (references resolved) normalised, with its id: the current entity's it matches, or a new one. */
function normalizeTargetEntity(r: Resolution, item: Item, body: Entity): TargetDoc | undefined {
  const def = ENTITIES.get(TABLE[item.kind])!;
  // Normalise exactly as the control plane will (defaults, url shorthand, plugin config).
  const normalized = normalizeEntity(def, body);
  if (!normalized.ok) {
    for (const line of describeErrors(normalized.errors)) r.errors.push(`${item.where}: ${line}`);
    for (const name of [body.name, body.username, body.custom_id])
      if (typeof name === 'string') r.invalid.add(`${item.kind}:${name}`);
    return undefined;
  }
  const doc: Entity = normalized.value;
  const key = naturalKey(item.kind, doc);
  const match =
    (doc.id && r.index.byId.get(doc.id)) ||
    (key !== null ? r.index.byKey.get(`${item.kind}:${key}`) : undefined);
  doc.id = doc.id ?? match?.id ?? randomUUID();
  r.assigned.set(item, doc.id);
  if (item.kind === 'consumer') {
    if (doc.username != null) r.targetByName.set(`consumer:${doc.username}`, doc.id);
    if (doc.custom_id != null) r.targetByName.set(`consumer:${doc.custom_id}`, doc.id);
  } else if (doc.name != null && item.kind !== 'plugin')
    r.targetByName.set(`${item.kind}:${doc.name}`, doc.id);
  if (item.kind === 'certificate') r.targetByName.set(`certificate:cert:${String(doc.cert).trim()}`, doc.id);
  return { item, doc, def };
}
