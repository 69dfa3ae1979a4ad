import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What each data plane last reported of its analytics backlog (heartbeats), for the console. */
export class DataPlaneAnalyticsBacklog1763800000004 implements MigrationInterface {
  name = 'DataPlaneAnalyticsBacklog1763800000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE clustering_data_planes ADD COLUMN IF NOT EXISTS analytics jsonb');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE clustering_data_planes DROP COLUMN IF EXISTS analytics');
  }
}
