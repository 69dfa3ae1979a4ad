/**
 * Tables of plugin-owned entities, derived from their definitions: the same layout as the core
 * tables (migrations/1763800000000-initial-schema.ts): the validated document plus the columns
 * the database enforces (unique keys, foreign keys with Kong's cascades, tags). Created when
 * missing, after the migrations, so a plugin brings its entities without a migration of its own.
 */
import type { DataSource } from 'typeorm';
import { PLUGIN_ENTITIES, type EntityDefinition } from '../../shared/entities';

/** Serialises concurrent control planes creating the same tables. */
const LOCK_ID = 0x7011_6a7e;

function entityTableDdl(def: EntityDefinition): string[] {
  const cols = [
    'id uuid PRIMARY KEY',
    'created_at bigint NOT NULL',
    'updated_at bigint NOT NULL',
    'tags text[]',
    'doc jsonb NOT NULL',
    ...def.unique.map((f) => `${f} text CONSTRAINT ${def.name}_${f}_unique UNIQUE`),
    ...def.foreignKeys.map(
      (fk) =>
        `${fk.field}_id uuid REFERENCES ${fk.references} (id) ON DELETE ${fk.onDelete === 'cascade' ? 'CASCADE' : 'RESTRICT'}`,
    ),
  ];
  return [
    `CREATE TABLE IF NOT EXISTS ${def.name} (${cols.join(', ')})`,
    `CREATE INDEX IF NOT EXISTS ${def.name}_tags_idx ON ${def.name} USING gin (tags)`,
    ...def.foreignKeys.map(
      (fk) => `CREATE INDEX IF NOT EXISTS ${def.name}_${fk.field}_idx ON ${def.name} (${fk.field}_id)`,
    ),
  ];
}

export async function ensureEntityTables(db: DataSource, defs = PLUGIN_ENTITIES): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
    for (const def of defs) for (const sql of entityTableDdl(def)) await tx.query(sql);
  });
}
