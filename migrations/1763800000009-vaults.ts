import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Kong's vaults (its `sm_vaults`): a backend's configuration under a unique prefix. */
export class Vaults1763800000009 implements MigrationInterface {
  name = 'Vaults1763800000009';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE vaults (
      id uuid PRIMARY KEY,
      created_at bigint NOT NULL,
      updated_at bigint NOT NULL,
      tags text[],
      doc jsonb NOT NULL,
      prefix text NOT NULL CONSTRAINT vaults_prefix_unique UNIQUE)`);
    await q.query('CREATE INDEX vaults_tags_idx ON vaults USING gin (tags)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS vaults');
  }
}
