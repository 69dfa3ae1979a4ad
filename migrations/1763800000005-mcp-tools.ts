import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The MCP tools data planes saw upstreams list (mcp-tool-pinning): per route and tool, the
 * newest version and its approval history, and every version seen with its definition (for
 * diffs). Times are ms since the epoch, as in analytics. Approved fingerprints are not here:
 * they are the plugin's config (in snapshots and decK files).
 */
export class McpTools1763800000005 implements MigrationInterface {
  name = 'McpTools1763800000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE IF NOT EXISTS mcp_tools (
      route_id uuid NOT NULL,
      tool text NOT NULL,
      fingerprint text NOT NULL,
      first_seen double precision NOT NULL,
      last_seen double precision NOT NULL,
      first_node_id text,
      last_node_id text,
      removed_at double precision,
      changes integer NOT NULL DEFAULT 0,
      rejected_fingerprint text,
      approved_by text,
      approved_at double precision,
      PRIMARY KEY (route_id, tool))`);
    await q.query(`CREATE TABLE IF NOT EXISTS mcp_tool_versions (
      route_id uuid NOT NULL,
      tool text NOT NULL,
      fingerprint text NOT NULL,
      definition jsonb,
      first_seen double precision NOT NULL,
      last_seen double precision NOT NULL,
      first_node_id text,
      last_node_id text,
      PRIMARY KEY (route_id, tool, fingerprint))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS mcp_tool_versions');
    await q.query('DROP TABLE IF EXISTS mcp_tools');
  }
}
