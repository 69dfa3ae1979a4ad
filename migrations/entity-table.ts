/**
 * The layout every entity table has (the initial schema's): id, timestamps, tags and the
 * validated document, plus the columns the database enforces; tags indexed for `?tags=`.
 */
import type { QueryRunner } from 'typeorm';

const ENTITY_COLUMNS = `
      id uuid PRIMARY KEY,
      created_at bigint NOT NULL,
      updated_at bigint NOT NULL,
      tags text[],
      doc jsonb NOT NULL`;

/** `columns`: the table's own (unique keys, foreign keys); `indexed`: columns to index. */
export async function createEntityTable(
  q: QueryRunner,
  table: string,
  columns: string[],
  indexed: Record<string, string> = {},
): Promise<void> {
  await q.query(`CREATE TABLE ${table} (${[ENTITY_COLUMNS, ...columns].join(',\n      ')})`);
  await q.query(`CREATE INDEX ${table}_tags_idx ON ${table} USING gin (tags)`);
  for (const [name, column] of Object.entries(indexed))
    await q.query(`CREATE INDEX ${table}_${name}_idx ON ${table} (${column})`);
}
