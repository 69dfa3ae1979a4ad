import type { MigrationInterface, QueryRunner } from 'typeorm';

/** MCP 2026-07-28: each analytics record says its protocol revision and client. */
export class AnalyticsMcpEra1763800000006 implements MigrationInterface {
  name = 'AnalyticsMcpEra1763800000006';

  async up(q: QueryRunner): Promise<void> {
    // On the partitioned parent: every day's partition gets the columns.
    await q.query(
      'ALTER TABLE analytics_records ADD COLUMN mcp_protocol_version text, ADD COLUMN mcp_client text',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE analytics_records DROP COLUMN mcp_protocol_version, DROP COLUMN mcp_client');
  }
}
