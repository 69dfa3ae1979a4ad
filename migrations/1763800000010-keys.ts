import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createEntityTable } from './entity-table';

/** Kong's key sets and keys (a key goes with its set). */
export class Keys1763800000010 implements MigrationInterface {
  name = 'Keys1763800000010';

  async up(q: QueryRunner): Promise<void> {
    await createEntityTable(q, 'key_sets', ['name text CONSTRAINT key_sets_name_unique UNIQUE']);
    await createEntityTable(
      q,
      'keys',
      [
        'name text CONSTRAINT keys_name_unique UNIQUE',
        'set_id uuid REFERENCES key_sets (id) ON DELETE CASCADE',
      ],
      { set: 'set_id' },
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS keys');
    await q.query('DROP TABLE IF EXISTS key_sets');
  }
}
