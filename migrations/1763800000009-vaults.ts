import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createEntityTable } from './entity-table';

/** Kong's vaults (its `sm_vaults`): a backend's configuration under a unique prefix. */
export class Vaults1763800000009 implements MigrationInterface {
  name = 'Vaults1763800000009';

  async up(q: QueryRunner): Promise<void> {
    await createEntityTable(q, 'vaults', ['prefix text NOT NULL CONSTRAINT vaults_prefix_unique UNIQUE']);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS vaults');
  }
}
