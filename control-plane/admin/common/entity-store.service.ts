import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { ENTITIES, pluginEntity, type EntityDefinition } from '../../../shared/entities';
import { pluginCacheKey } from '../../../shared/entities/plugin';
import {
  foreignKeyRestricted,
  foreignKeyViolation,
  schemaViolation,
  uniqueViolation,
} from '../../../shared/errors';
import { normalizeEntity } from '../../../shared/entities/normalize';
import { ConfigVersions } from '../../snapshots/config-versions.service';
import { KongHttpError, notFound } from './kong-http-error';
import { isUuid, nowSeconds, rowsOf } from './sql';
import { decodeOffset, encodeOffset, type TagFilter } from './list-options';

export type Entity = Record<string, any>;

export interface ListQuery {
  size: number;
  offset?: string;
  tags?: TagFilter;
  /** Extra equality filters on indexed columns, e.g. `{ service_id: '…' }`. */
  where?: Record<string, string>;
}

export interface Page {
  data: Entity[];
  offset?: string;
}

export interface WriteOptions {
  /** Form-urlencoded input: coerce strings to the schema's types. */
  coerce?: boolean;
  /** Fields forced by the URL, e.g. `{ service: { id } }` under `/services/{s}/routes`. */
  forced?: Record<string, unknown>;
}

/** Columns each table has besides id/created_at/updated_at/tags/doc. */
function extraColumns(def: EntityDefinition, doc: Entity): Record<string, unknown> {
  const cols: Record<string, unknown> = {};
  for (const field of def.unique) cols[field] = doc[field] ?? null;
  for (const fk of def.foreignKeys) cols[`${fk.field}_id`] = doc[fk.field]?.id ?? null;
  if (def === pluginEntity) {
    cols.name = doc.name;
    cols.cache_key = pluginCacheKey(doc);
  }
  if (def.cacheKeyUnique) cols.cache_key = entityCacheKey(def, doc);
  return cols;
}

/** An entity's cache key as stored: its cacheKey fields (a reference by its id), joined. */
function entityCacheKey(def: EntityDefinition, doc: Entity): string {
  return [def.name, ...def.cacheKey!.map((f) => doc[f]?.id ?? doc[f] ?? '')].join(':');
}

/** Which field a unique constraint guards, from its name (`<table>_<field>_unique`). */
function uniqueFieldOf(def: EntityDefinition, constraint: string | undefined): string | undefined {
  if (!constraint) return undefined;
  const m = new RegExp(`^${def.name}_(.+)_unique$`).exec(constraint);
  return m?.[1];
}

function deepMerge(base: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  if (base === null || typeof base !== 'object' || Array.isArray(base)) return patch;
  const out: any = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = deepMerge(base[k], v);
  return out;
}

/**
 * Kong's DAO for every entity: validation with defaults, foreign keys, unique keys, cascades,
 * pagination and tag filters. Every write runs inside a ConfigVersions transaction.
 */
@Injectable()
export class EntityStore {
  constructor(
    private readonly db: DataSource,
    readonly versions: ConfigVersions,
  ) {}

  // ---- reads --------------------------------------------------------------------------------

  /** A read outside any write transaction. */
  query(sql: string, params: unknown[] = []): Promise<any[]> {
    return this.db.query(sql, params);
  }

  async list(def: EntityDefinition, q: ListQuery, manager: EntityManager = this.db.manager): Promise<Page> {
    const params: unknown[] = [];
    const conds: string[] = [];
    if (q.offset !== undefined) {
      params.push(decodeOffset(q.offset));
      conds.push(`id > $${params.length}`);
    }
    if (q.tags) {
      params.push(q.tags.tags);
      conds.push(`tags ${q.tags.mode === 'and' ? '@>' : '&&'} $${params.length}::text[]`);
    }
    for (const [col, value] of Object.entries(q.where ?? {})) {
      params.push(value);
      conds.push(`${col} = $${params.length}`);
    }
    params.push(q.size + 1);
    const sql = `SELECT doc FROM ${def.name} ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} ORDER BY id LIMIT $${params.length}`;
    const rows = await manager.query(sql, params);
    const data = rows.slice(0, q.size).map((r: any) => r.doc);
    return { data, offset: rows.length > q.size ? encodeOffset(data[data.length - 1].id) : undefined };
  }

  /** Resolve an id or endpoint key (name, username, key…) to an entity. */
  async find(
    def: EntityDefinition,
    idOrKey: string,
    manager: EntityManager = this.db.manager,
  ): Promise<Entity | null> {
    if (isUuid(idOrKey)) {
      const rows = await manager.query(`SELECT doc FROM ${def.name} WHERE id = $1`, [idOrKey]);
      if (rows.length) return rows[0].doc;
    }
    if (!def.endpointKey) return null;
    const rows = await manager.query(`SELECT doc FROM ${def.name} WHERE ${def.endpointKey} = $1`, [idOrKey]);
    return rows[0]?.doc ?? null;
  }

  async findOrThrow(def: EntityDefinition, idOrKey: string, manager?: EntityManager): Promise<Entity> {
    const found = await this.find(def, idOrKey, manager);
    if (!found) throw notFound();
    return found;
  }

  // ---- writes (each call is one versioned transaction) ------------------------------------------

  create(def: EntityDefinition, input: unknown, opts: WriteOptions = {}): Promise<Entity> {
    return this.versions.write((tx) => this.insertIn(tx, def, input, opts));
  }

  /** PUT: create or replace the entity addressed by id or endpoint key. */
  upsert(def: EntityDefinition, idOrKey: string, input: unknown, opts: WriteOptions = {}): Promise<Entity> {
    return this.versions.write((tx) => this.upsertIn(tx, def, idOrKey, input, opts));
  }

  /** PATCH: merge into the existing entity; 404 when absent. */
  update(def: EntityDefinition, idOrKey: string, input: unknown, opts: WriteOptions = {}): Promise<Entity> {
    return this.versions.write(async (tx) => {
      const existing = await this.findOrThrow(def, idOrKey, tx);
      return this.updateIn(tx, def, existing, input, opts);
    });
  }

  /** DELETE: 204 whether or not it existed (Kong); restricted references are refused. */
  async remove(def: EntityDefinition, idOrKey: string, guard?: (e: Entity) => boolean): Promise<void> {
    await this.versions.write(async (tx) => {
      const existing = await this.find(def, idOrKey, tx);
      if (!existing || (guard && !guard(existing))) return;
      await this.deleteIn(tx, def, existing.id);
    });
  }

  // ---- transactional building blocks (for multi-row writes) -------------------------------------

  async insertIn(
    tx: EntityManager,
    def: EntityDefinition,
    input: unknown,
    opts: WriteOptions = {},
  ): Promise<Entity> {
    const doc = await this.prepare(tx, def, input, opts, null);
    await this.insertRow(tx, def, doc);
    return doc;
  }

  async upsertIn(
    tx: EntityManager,
    def: EntityDefinition,
    idOrKey: string,
    input: unknown,
    opts: WriteOptions = {},
  ): Promise<Entity> {
    const existing = await this.find(def, idOrKey, tx);
    const addressed: Record<string, unknown> = isUuid(idOrKey)
      ? { id: idOrKey }
      : def.endpointKey
        ? { [def.endpointKey]: idOrKey }
        : {};
    if (!isUuid(idOrKey) && !def.endpointKey)
      throw new KongHttpError(400, { message: `invalid primary key: '${idOrKey}'` });
    const body = { ...this.asObject(input), ...addressed };
    if (existing) {
      body.id = existing.id;
      const doc = await this.prepare(tx, def, body, opts, existing);
      await this.updateRow(tx, def, doc);
      return doc;
    }
    const doc = await this.prepare(tx, def, body, opts, null);
    await this.insertRow(tx, def, doc);
    return doc;
  }

  async updateIn(
    tx: EntityManager,
    def: EntityDefinition,
    existing: Entity,
    input: unknown,
    opts: WriteOptions = {},
  ): Promise<Entity> {
    const patch = this.asObject(input);
    const { created_at: _c, updated_at: _u, ...base } = existing;
    const merged: Entity = deepMerge(base, patch);
    merged.id = existing.id;
    const doc = await this.prepare(tx, def, merged, opts, existing);
    await this.updateRow(tx, def, doc);
    return doc;
  }

  async deleteIn(tx: EntityManager, def: EntityDefinition, id: string): Promise<void> {
    try {
      await tx.query(`DELETE FROM ${def.name} WHERE id = $1`, [id]);
    } catch (err: any) {
      const code = err?.driverError?.code ?? err?.code;
      // 23001 restrict_violation (ON DELETE RESTRICT), 23503 foreign_key_violation (NO ACTION).
      if (code === '23001' || code === '23503') {
        const d = err.driverError ?? err;
        const child = d.table ?? /on table "([^"]+)"/.exec(d.message ?? '')?.[1] ?? 'unknown';
        throw new KongHttpError(400, foreignKeyRestricted(child, def.name));
      }
      throw err;
    }
  }

  // ---- internals ---------------------------------------------------------------------------------

  private asObject(input: unknown): Record<string, any> {
    if (input === undefined || input === null || input === '') return {};
    if (typeof input !== 'object' || Array.isArray(input)) {
      throw new KongHttpError(400, schemaViolation([{ path: ['@entity'], message: 'expected a record' }]));
    }
    return input as Record<string, any>;
  }

  /** Validate, fill defaults and check references; throws Kong's errors. */
  private async prepare(
    tx: EntityManager,
    def: EntityDefinition,
    input: unknown,
    opts: WriteOptions,
    existing: Entity | null,
  ): Promise<Entity> {
    const body: Record<string, any> = { ...this.asObject(input), ...(opts.forced ?? {}) };
    delete body.created_at;
    delete body.updated_at;
    await this.resolveForeignNames(tx, def, body);
    const normalized = normalizeEntity(def, body, opts.coerce);
    if (!normalized.ok) throw new KongHttpError(400, schemaViolation(normalized.errors));
    const doc: Entity = normalized.value;

    def.generate?.(doc);
    doc.id ??= existing?.id ?? randomUUID();
    const now = nowSeconds();
    doc.created_at = existing?.created_at ?? now;
    if ('updated_at' in def.schema.properties) doc.updated_at = now;

    for (const fk of def.foreignKeys) {
      const ref = doc[fk.field];
      if (!ref) continue;
      const rows = await tx.query(`SELECT 1 FROM ${fk.references} WHERE id = $1`, [ref.id]);
      if (!rows.length)
        throw new KongHttpError(400, foreignKeyViolation(fk.field, { id: ref.id }, fk.references));
    }
    await def.onWrite?.(doc, existing);
    return doc;
  }

  /** Kong accepts `{"service": {"name": "x"}}` (or the parent's endpoint key) for foreign keys. */
  private async resolveForeignNames(tx: EntityManager, def: EntityDefinition, body: Record<string, any>) {
    for (const fk of def.foreignKeys) {
      const ref = body[fk.field];
      if (typeof ref === 'string') body[fk.field] = { id: ref };
      const value = body[fk.field];
      if (!value || typeof value !== 'object') continue;
      // Kong reads a reference's primary key only: the whole parent entity may be sent.
      if (value.id !== undefined) {
        body[fk.field] = { id: value.id };
        continue;
      }
      const parent = ENTITIES.get(fk.references)!;
      const key = parent.endpointKey && value[parent.endpointKey];
      if (typeof key !== 'string') continue;
      const found = await this.find(parent, key, tx);
      if (!found) throw new KongHttpError(400, foreignKeyViolation(fk.field, value, fk.references));
      body[fk.field] = { id: found.id };
    }
  }

  private async insertRow(tx: EntityManager, def: EntityDefinition, doc: Entity) {
    const cols = {
      id: doc.id,
      created_at: doc.created_at,
      updated_at: doc.updated_at ?? doc.created_at,
      tags: doc.tags ?? null,
      doc,
      ...extraColumns(def, doc),
    };
    const names = Object.keys(cols);
    const sql = `INSERT INTO ${def.name} (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`;
    await this.run(tx, def, doc, sql, Object.values(cols));
  }

  private async updateRow(tx: EntityManager, def: EntityDefinition, doc: Entity) {
    const cols: Record<string, unknown> = {
      updated_at: doc.updated_at ?? nowSeconds(),
      tags: doc.tags ?? null,
      doc,
      ...extraColumns(def, doc),
    };
    const names = Object.keys(cols);
    const sql = `UPDATE ${def.name} SET ${names.map((n, i) => `${n} = $${i + 1}`).join(', ')} WHERE id = $${names.length + 1}`;
    await this.run(tx, def, doc, sql, [...Object.values(cols), doc.id]);
  }

  /** Runs a write and turns constraint errors into Kong's error bodies. */
  private async run(tx: EntityManager, def: EntityDefinition, doc: Entity, sql: string, params: unknown[]) {
    try {
      rowsOf(
        await tx.query(
          sql,
          params.map((p) =>
            p !== null && typeof p === 'object' && !Array.isArray(p) ? JSON.stringify(p) : p,
          ),
        ),
      );
    } catch (err: any) {
      const code = err?.driverError?.code ?? err?.code;
      const constraint = err?.driverError?.constraint ?? err?.constraint;
      if (code === '23505') {
        if (constraint === `${def.name}_pkey`) {
          throw new KongHttpError(409, uniqueViolation({ id: doc.id }));
        }
        if (constraint === 'plugins_cache_key_unique') {
          const fields: Record<string, unknown> = { name: doc.name };
          for (const f of ['consumer', 'consumer_group', 'route', 'service'])
            fields[f] = doc[f] ? { id: doc[f].id } : null;
          throw new KongHttpError(409, uniqueViolation(fields));
        }
        if (def.cacheKeyUnique && constraint === `${def.name}_cache_key_unique`) {
          const fields: Record<string, unknown> = {};
          for (const f of def.cacheKey!) fields[f] = doc[f]?.id ? { id: doc[f].id } : doc[f];
          throw new KongHttpError(409, uniqueViolation(fields));
        }
        const field = uniqueFieldOf(def, constraint);
        if (field) throw new KongHttpError(409, uniqueViolation({ [field]: doc[field] }));
      }
      if (code === '23503') {
        const fk = def.foreignKeys.find((f) => (err.driverError?.detail ?? '').includes(`(${f.field}_id)`));
        if (fk) throw new KongHttpError(400, foreignKeyViolation(fk.field, doc[fk.field], fk.references));
      }
      throw err;
    }
  }
}
