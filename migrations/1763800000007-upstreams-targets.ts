import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Kong's upstreams and their targets, in the layout of every entity table (the validated
 * document plus the columns the database enforces). A target is unique within its upstream
 * (Kong's cache_key `{upstream, target}`) and goes with it (on_delete cascade).
 */
export class UpstreamsTargets1763800000007 implements MigrationInterface {
  name = 'UpstreamsTargets1763800000007';

  async up(q: QueryRunner): Promise<void> {
    const common = `
      id uuid PRIMARY KEY,
      created_at bigint NOT NULL,
      updated_at bigint NOT NULL,
      tags text[],
      doc jsonb NOT NULL`;
    await q.query(`CREATE TABLE upstreams (${common},
      name text NOT NULL CONSTRAINT upstreams_name_unique UNIQUE)`);
    await q.query(`CREATE TABLE targets (${common},
      cache_key text NOT NULL CONSTRAINT targets_cache_key_unique UNIQUE,
      upstream_id uuid NOT NULL REFERENCES upstreams (id) ON DELETE CASCADE)`);
    await q.query(`CREATE INDEX upstreams_tags_idx ON upstreams USING gin (tags)`);
    await q.query(`CREATE INDEX targets_tags_idx ON targets USING gin (tags)`);
    await q.query(`CREATE INDEX targets_upstream_idx ON targets (upstream_id)`);
    // What each data plane last reported of its balancers' targets (GET /upstreams/{u}/health).
    await q.query('ALTER TABLE clustering_data_planes ADD COLUMN target_health jsonb');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE clustering_data_planes DROP COLUMN target_health');
    await q.query('DROP TABLE IF EXISTS targets');
    await q.query('DROP TABLE IF EXISTS upstreams');
  }
}
