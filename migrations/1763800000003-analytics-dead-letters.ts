import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Analytics records the control plane could not store: their batch is acknowledged (so it never blocks the
 * batches behind it), they are kept here with the error for an operator, counted in `GET /status`.
 */
export class AnalyticsDeadLetters1763800000003 implements MigrationInterface {
  name = 'AnalyticsDeadLetters1763800000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE analytics_dead_letters (
        batch_id uuid PRIMARY KEY,
        node_id text NOT NULL,
        records integer NOT NULL,
        error text NOT NULL,
        -- the records that failed, JSON text (cut at 1 MiB)
        payload text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS analytics_dead_letters');
  }
}
