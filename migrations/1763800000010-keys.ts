import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Kong's key sets and keys (a key goes with its set). */
export class Keys1763800000010 implements MigrationInterface {
  name = 'Keys1763800000010';

  async up(q: QueryRunner): Promise<void> {
    const common = `
      id uuid PRIMARY KEY,
      created_at bigint NOT NULL,
      updated_at bigint NOT NULL,
      tags text[],
      doc jsonb NOT NULL`;
    await q.query(`CREATE TABLE key_sets (${common},
      name text CONSTRAINT key_sets_name_unique UNIQUE)`);
    await q.query(`CREATE TABLE keys (${common},
      name text CONSTRAINT keys_name_unique UNIQUE,
      set_id uuid REFERENCES key_sets (id) ON DELETE CASCADE)`);
    for (const t of ['key_sets', 'keys'])
      await q.query(`CREATE INDEX ${t}_tags_idx ON ${t} USING gin (tags)`);
    await q.query('CREATE INDEX keys_set_idx ON keys (set_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS keys');
    await q.query('DROP TABLE IF EXISTS key_sets');
  }
}
