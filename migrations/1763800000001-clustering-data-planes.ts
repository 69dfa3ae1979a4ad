import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Registry of data planes (Kong's clustering_data_planes); not config, never versioned. */
export class ClusteringDataPlanes1763800000001 implements MigrationInterface {
  name = 'ClusteringDataPlanes1763800000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE clustering_data_planes (
        id uuid PRIMARY KEY,
        hostname text NOT NULL,
        ip text NOT NULL,
        version text NOT NULL,
        config_version bigint NOT NULL DEFAULT 0,
        config_hash text NOT NULL DEFAULT '',
        last_seen bigint NOT NULL,
        sync_status text NOT NULL DEFAULT 'unknown',
        sync_reason text,
        plugins jsonb NOT NULL DEFAULT '[]',
        control_plane_id uuid,
        updated_at bigint NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS clustering_data_planes');
  }
}
