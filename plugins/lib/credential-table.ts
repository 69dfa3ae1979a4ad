/**
 * The table of a consumer-owned plugin entity (key-auth's keys, jwt's secrets, acls…): the layout
 * every entity table has (migrations/1763800000000-initial-schema.ts) — id, timestamps, tags,
 * the validated document — plus the consumer it belongs to and the column that keeps its key
 * unique (`<table>_<column>_unique`, which the entity store turns into Kong's 409).
 */
import type { QueryRunner } from 'typeorm';

export async function createConsumerCredentialTable(
  q: QueryRunner,
  table: string,
  uniqueColumn: string,
  opts: { ifNotExists?: boolean } = {},
): Promise<void> {
  const maybe = opts.ifNotExists ? 'IF NOT EXISTS ' : '';
  await q.query(`CREATE TABLE ${maybe}${table} (
    id uuid PRIMARY KEY,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    tags text[],
    doc jsonb NOT NULL,
    ${uniqueColumn} text NOT NULL CONSTRAINT ${table}_${uniqueColumn}_unique UNIQUE,
    consumer_id uuid NOT NULL REFERENCES consumers (id) ON DELETE CASCADE)`);
  await q.query(`CREATE INDEX ${maybe}${table}_tags_idx ON ${table} USING gin (tags)`);
  await q.query(`CREATE INDEX ${maybe}${table}_consumer_idx ON ${table} (consumer_id)`);
}
