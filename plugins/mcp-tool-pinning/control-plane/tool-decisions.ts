/**
 * The plugin's own table, `mcp_tool_decisions`: per route and tool, who approved it and when
 * (an admin, or first use), and the version an admin rejected. Approved fingerprints are not
 * here: they are the plugin's config (in snapshots and decK files).
 */
import type { EntityManager } from 'typeorm';

export interface ToolDecisionRow {
  tool: string;
  approved_by: string | null;
  approved_at: number | null;
  rejected_fingerprint: string | null;
}

export async function decisionsOf(
  manager: EntityManager,
  routeId: string,
): Promise<Map<string, ToolDecisionRow>> {
  const rows: ToolDecisionRow[] = await manager.query(
    'SELECT tool, approved_by, approved_at, rejected_fingerprint FROM mcp_tool_decisions WHERE route_id = $1',
    [routeId],
  );
  return new Map(rows.map((r) => [r.tool, r]));
}

/** Approved by `by` at `at` (an approval clears a rejection). */
export async function recordApprovals(
  manager: EntityManager,
  routeId: string,
  tools: string[],
  by: string,
  at: number,
): Promise<void> {
  if (!tools.length) return;
  await manager.query(
    `INSERT INTO mcp_tool_decisions (route_id, tool, approved_by, approved_at, rejected_fingerprint)
     SELECT $1, unnest($2::text[]), $3, $4, NULL
     ON CONFLICT (route_id, tool) DO UPDATE SET
       approved_by = EXCLUDED.approved_by, approved_at = EXCLUDED.approved_at, rejected_fingerprint = NULL`,
    [routeId, tools, by, at],
  );
}

/** The version reviewed is rejected (a newer one seen meanwhile is not rejected unseen). */
export async function recordRejection(
  manager: EntityManager,
  routeId: string,
  tool: string,
  fingerprint: string,
): Promise<void> {
  await manager.query(
    `INSERT INTO mcp_tool_decisions (route_id, tool, rejected_fingerprint) VALUES ($1, $2, $3)
     ON CONFLICT (route_id, tool) DO UPDATE SET rejected_fingerprint = EXCLUDED.rejected_fingerprint`,
    [routeId, tool, fingerprint],
  );
}

/** When first use approved on this route (null: never), and whether from a whole list. */
export async function firstUseOf(
  manager: EntityManager,
  routeId: string,
  labels: { whole: string; page: string },
): Promise<{ at: number | null; whole: number }> {
  const rows = await manager.query(
    `SELECT min(approved_at) AS at, count(*) FILTER (WHERE approved_by = $2)::int AS whole
       FROM mcp_tool_decisions WHERE route_id = $1 AND approved_by IN ($2, $3)`,
    [routeId, labels.whole, labels.page],
  );
  return rows[0] ?? { at: null, whole: 0 };
}
