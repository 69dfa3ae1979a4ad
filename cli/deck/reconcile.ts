/**
 * Target (file) versus current (control plane): which entities to create, update and delete.
 * Target entities are normalised with the same shared schemas the control plane uses, so
 * defaults never show up as differences.
 */
import { canonicalJson } from '../../shared/canonical-json';
import type { SnapshotConfig } from '../../shared/snapshot';
import type { BatchOperation } from '../../shared/batch-operation';
import { KIND_ORDER, OWNED, TABLE, displayName, label, naturalKey, type Entity } from './entity-kinds';
import { indexCurrent, resolveTarget, type CurrentIndex, type TargetDoc } from './resolve-target';
import type { Kind, TargetState } from './target';

export { KIND_ORDER, type Entity };
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
  const index = indexCurrent(current, target.selectTags);

  // 1. Ids for target entities (parents first), so children can reference them.
  const targetDocs = resolveTarget(target, index, !!opts.offline, errors);
  if (errors.length) return { changes: [], errors };

  // 2. Compare.
  const names = displayNames(index.all, targetDocs);
  const { upserts, matched } = plannedUpserts(targetDocs, current, index, names, errors);
  const changes = opts.sync ? [...upserts, ...plannedDeletes(current, index, names, matched)] : upserts;
  changes.sort((a, b) => applyRank(a) - applyRank(b));
  return { changes, errors };
}

/** decK's display names by id, current entities first (a target entity's name wins). */
function displayNames(all: Map<Kind, Entity[]>, targetDocs: TargetDoc[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const [kind, list] of all) for (const e of list) names.set(e.id, displayName(kind, e, names));
  for (const t of targetDocs)
    if (t.item.kind !== 'membership') names.set(t.doc.id, displayName(t.item.kind, t.doc, names));
  return names;
}

/**
 * Creates and updates, in target order; `matched`: the ids (and `m:` membership keys) the target
 * keeps, which sync does not delete.
 */
function plannedUpserts(
  targetDocs: TargetDoc[],
  current: SnapshotConfig,
  index: CurrentIndex,
  names: Map<string, string>,
  errors: string[],
): { upserts: Change[]; matched: Set<string> } {
  const upserts: Change[] = [];
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
      if (!exists) upserts.push(membershipCreate(doc, names));
      continue;
    }
    if (matched.has(doc.id)) {
      errors.push(`${item.where}: ${item.kind} ${names.get(doc.id)} appears more than once`);
      continue;
    }
    matched.add(doc.id);
    const old = index.byId.get(doc.id);
    // A stored value the file's matches in substance (a hashed password) is not a change.
    const body = old && def?.sameAsStored ? def.sameAsStored(doc, old) : doc;
    const op: BatchOperation = { op: 'upsert', entity: TABLE[item.kind], id: doc.id, body };
    const display = `${label(item.kind)} ${names.get(doc.id)}`;
    if (!old) upserts.push({ action: 'create', kind: item.kind, display, new: doc, op });
    else if (canonicalJson(strip(old)) !== canonicalJson(strip(body)))
      upserts.push({ action: 'update', kind: item.kind, display, old: strip(old), new: body, op });
  }
  return { upserts, matched };
}

function membershipCreate(doc: Entity, names: Map<string, string>): Change {
  return {
    action: 'create',
    kind: 'membership',
    display: `consumer-group-consumer ${names.get(doc.consumer.id) ?? doc.consumer.id} for consumer-group ${names.get(doc.consumer_group.id) ?? doc.consumer_group.id}`,
    new: doc,
    op: { op: 'add_member', consumer_group: doc.consumer_group.id, consumer: doc.consumer.id },
  };
}

/** sync's deletes: what is in scope and not `matched` by the target. */
function plannedDeletes(
  current: SnapshotConfig,
  index: CurrentIndex,
  names: Map<string, string>,
  matched: Set<string>,
): Change[] {
  const deletes: Change[] = [];
  for (const [kind, list] of index.all) {
    for (const e of list) {
      if (!index.inScope(e) || matched.has(e.id)) continue;
      deletes.push({
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
    const consumer = index.byId.get(m.consumer.id);
    if (matched.has(`m:${key}`) || !consumer || !index.inScope(consumer)) continue;
    deletes.push({
      action: 'delete',
      kind: 'membership',
      display: `consumer-group-consumer ${names.get(m.consumer.id)} for consumer-group ${names.get(m.consumer_group.id)}`,
      old: m,
      op: { op: 'remove_member', consumer_group: m.consumer_group.id, consumer: m.consumer.id },
    });
  }
  return deletes;
}

// Children are deleted first, then creates and updates run top-down, then parents are
// deleted: a route moved to another service is updated before its old service goes.
const PARENTS: Kind[] = ['consumer', 'service', 'consumer_group'];
const CHILD_DELETES: Kind[] = ['plugin', 'membership', ...OWNED.keys(), 'route'];
function applyRank(c: Change): number {
  return c.action !== 'delete'
    ? 100 + KIND_ORDER.indexOf(c.kind)
    : PARENTS.includes(c.kind)
      ? 200 + PARENTS.indexOf(c.kind)
      : CHILD_DELETES.indexOf(c.kind);
}
