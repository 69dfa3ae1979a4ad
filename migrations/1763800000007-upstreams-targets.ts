import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createEntityTable } from './entity-table';

/**
 * Kong's upstreams and their targets, in the layout of every entity table (the validated
 * document plus the columns the database enforces). A target is unique within its upstream
 * (Kong's cache_key `{upstream, target}`) and goes with it (on_delete cascade).
 */
export class UpstreamsTargets1763800000007 implements MigrationInterface {
  name = 'UpstreamsTargets1763800000007';

  async up(q: QueryRunner): Promise<void> {
    await createEntityTable(q, 'upstreams', ['name text NOT NULL CONSTRAINT upstreams_name_unique UNIQUE']);
    await createEntityTable(
      q,
      'targets',
      [
        'cache_key text NOT NULL CONSTRAINT targets_cache_key_unique UNIQUE',
        'upstream_id uuid NOT NULL REFERENCES upstreams (id) ON DELETE CASCADE',
      ],
      { upstream: 'upstream_id' },
    );
    // What each data plane last reported of its balancers' targets (GET /upstreams/{u}/health).
    await q.query('ALTER TABLE clustering_data_planes ADD COLUMN target_health jsonb');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE clustering_data_planes DROP COLUMN target_health');
    await q.query('DROP TABLE IF EXISTS targets');
    await q.query('DROP TABLE IF EXISTS upstreams');
  }
}
