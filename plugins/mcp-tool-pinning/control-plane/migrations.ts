/**
 * mcp-tool-pinning's tables. `001_tool_decisions` moves the decisions out of the core's
 * `mcp_tools` (where releases before 2026-12-07 kept them) into the plugin's own table.
 */
import type { QueryRunner } from 'typeorm';
import type { PluginMigration } from '../../../control-plane/plugin-api';

const COLUMNS = ['approved_by', 'approved_at', 'rejected_fingerprint'];

async function coreHasDecisions(q: QueryRunner): Promise<boolean> {
  const rows = await q.query(
    `SELECT count(*)::int AS n FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'mcp_tools' AND column_name = ANY($1::text[])`,
    [COLUMNS],
  );
  return rows[0].n === COLUMNS.length;
}

export const MIGRATIONS: PluginMigration[] = [
  {
    name: '001_tool_decisions',
    async up(q) {
      await q.query(`CREATE TABLE mcp_tool_decisions (
        route_id uuid NOT NULL,
        tool text NOT NULL,
        approved_by text,
        approved_at double precision,
        rejected_fingerprint text,
        PRIMARY KEY (route_id, tool))`);
      if (!(await coreHasDecisions(q))) return;
      await q.query(`INSERT INTO mcp_tool_decisions (route_id, tool, approved_by, approved_at, rejected_fingerprint)
        SELECT route_id, tool, approved_by, approved_at, rejected_fingerprint FROM mcp_tools
         WHERE approved_by IS NOT NULL OR rejected_fingerprint IS NOT NULL`);
      await q.query(
        'ALTER TABLE mcp_tools DROP COLUMN approved_by, DROP COLUMN approved_at, DROP COLUMN rejected_fingerprint',
      );
    },
  },
];
