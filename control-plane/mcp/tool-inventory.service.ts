/**
 * The MCP tools data planes saw upstreams list, per route (the core MCP module of the control
 * plane: decision 0007): the newest version of each tool and every version's definition, from
 * the `mcp_tools` reports data planes send in analytics batches (before any filtering). The
 * MCP views read it; plugins (mcp-tool-pinning) act on what was observed through `onObserved`.
 */
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { pluginEntity, routeEntity } from '../../shared/entities';
import {
  checkToolObservation,
  diffTools,
  TOOLS_KIND,
  type ToolDefinition,
  type ToolObservation,
} from '../../shared/mcp/tool-fingerprint';
import { redact } from '../../shared/redact';
import { EntityStore, type Entity } from '../admin/common/entity-store.service';
import { ClusterExtensions } from '../plugins/cluster-extensions';
import { governingPlugin } from '../admin/common/plugin-precedence';

const MAX = 1000;

export interface ToolRow {
  route_id: string;
  tool: string;
  fingerprint: string;
  first_seen: number;
  last_seen: number;
  first_node_id: string | null;
  last_node_id: string | null;
  removed_at: number | null;
  changes: number;
  /** The newest version's definition (null until a data plane sent it). */
  definition: ToolDefinition | null;
}

/** What one batch of reports changed: the routes seen (true: a whole list of theirs was among them). */
export interface Observed {
  touched: Map<string, boolean>;
  /** A tool was added, changed, listed again or no longer listed. */
  changed: boolean;
}

@Injectable()
export class McpToolInventory implements OnModuleInit {
  private readonly log = new Logger('McpTools');
  private readonly observers: ((o: Observed) => Promise<void>)[] = [];

  constructor(
    private readonly db: DataSource,
    private readonly store: EntityStore,
    private readonly cluster: ClusterExtensions,
  ) {}

  onModuleInit() {
    this.cluster.onReport(TOOLS_KIND, (nodeId, items) => this.ingest(nodeId, items));
  }

  /** Run after every batch of reports is stored (awaited: before the batch is acknowledged). */
  onObserved(observer: (o: Observed) => Promise<void>): void {
    this.observers.push(observer);
  }

  /** Kong's precedence for one plugin name: the route's, else its service's, else the global one. */
  async governing(
    name: string,
    manager: EntityManager = this.db.manager,
  ): Promise<{ route: Entity; plugin: Entity }[]> {
    const plugins = (await this.store.list(pluginEntity, { size: MAX, where: { name } }, manager)).data;
    if (!plugins.length) return [];
    const routes = (await this.store.list(routeEntity, { size: MAX }, manager)).data;
    const out: { route: Entity; plugin: Entity }[] = [];
    for (const route of routes) {
      const plugin = governingPlugin(plugins, name, route);
      if (plugin) out.push({ route, plugin });
    }
    return out;
  }

  /** Observations from one analytics batch (a resend is harmless: every write is idempotent). */
  async ingest(nodeId: string, observations: unknown[]): Promise<void> {
    let changed = false;
    const touched = new Map<string, boolean>();
    for (const o of observations) {
      if (!checkToolObservation.Check(o)) continue;
      if (await this.ingestOne(nodeId, o)) changed = true;
      touched.set(o.route_id, (touched.get(o.route_id) ?? false) || o.complete);
    }
    if (touched.size) for (const observer of this.observers) await observer({ touched, changed });
  }

  private async ingestOne(nodeId: string, o: ToolObservation): Promise<boolean> {
    const route = (await this.db.query('SELECT doc FROM routes WHERE id = $1', [o.route_id]))[0]?.doc;
    if (!route) return false;
    const name = route.name ?? route.id;
    let changed = false;
    // The route's tools as they stand, read once (not once per listed tool).
    const current = new Map<string, ToolRow>(
      (await this.db.query('SELECT * FROM mcp_tools WHERE route_id = $1', [o.route_id])).map((r: ToolRow) => [
        r.tool,
        r,
      ]),
    );
    for (const t of o.tools) {
      await this.storeVersion(nodeId, o, t);
      const prev = current.get(t.name);
      if (!prev) {
        await this.db.query(
          `INSERT INTO mcp_tools (route_id, tool, fingerprint, first_seen, last_seen, first_node_id, last_node_id)
           VALUES ($1, $2, $3, $4, $4, $5, $5) ON CONFLICT DO NOTHING`,
          [o.route_id, t.name, t.fingerprint, o.ts, nodeId],
        );
        this.log.log(`route ${name}: new tool '${t.name}' (${t.fingerprint}) seen by ${nodeId}`);
        changed = true;
        continue;
      }
      if (o.ts < Number(prev.last_seen)) continue; // an older report: history only
      if (prev.fingerprint !== t.fingerprint) {
        const diff = diffTools(
          await this.definitionOf(o.route_id, t.name, prev.fingerprint),
          await this.definitionOf(o.route_id, t.name, t.fingerprint),
        );
        // The diff is of tool metadata (descriptions, schemas), never calls; secret-looking keys
        // in it are redacted all the same.
        this.log.warn(
          `route ${name}: tool '${t.name}' changed upstream (${diff.fields.join(', ') || 'definition'}) seen by ${nodeId}: ${JSON.stringify(redact(diff.patch)).slice(0, 2000)}`,
        );
        changed = true;
      }
      if (prev.removed_at !== null) {
        this.log.log(`route ${name}: tool '${t.name}' is listed again`);
        changed = true;
      }
      await this.db.query(
        `UPDATE mcp_tools SET fingerprint = $3, last_seen = $4, last_node_id = $5, removed_at = NULL,
                changes = changes + $6
          WHERE route_id = $1 AND tool = $2`,
        [o.route_id, t.name, t.fingerprint, o.ts, nodeId, prev.fingerprint !== t.fingerprint ? 1 : 0],
      );
    }
    if (o.complete && (await this.markGone(o, name))) changed = true;
    return changed;
  }

  private async storeVersion(nodeId: string, o: ToolObservation, t: ToolObservation['tools'][number]) {
    await this.db.query(
      `INSERT INTO mcp_tool_versions (route_id, tool, fingerprint, definition, first_seen, last_seen, first_node_id, last_node_id)
       VALUES ($1, $2, $3, $4, $5, $5, $6, $6)
       ON CONFLICT (route_id, tool, fingerprint) DO UPDATE SET
         definition = coalesce(mcp_tool_versions.definition, EXCLUDED.definition),
         first_seen = least(mcp_tool_versions.first_seen, EXCLUDED.first_seen),
         last_seen = greatest(mcp_tool_versions.last_seen, EXCLUDED.last_seen),
         last_node_id = CASE WHEN EXCLUDED.last_seen >= mcp_tool_versions.last_seen
                             THEN EXCLUDED.last_node_id ELSE mcp_tool_versions.last_node_id END`,
      [o.route_id, t.name, t.fingerprint, t.definition ? JSON.stringify(t.definition) : null, o.ts, nodeId],
    );
  }

  /** A whole list: the tools it no longer has are marked removed. */
  private async markGone(o: ToolObservation, name: string): Promise<boolean> {
    const gone: { tool: string }[] = rowsOf(
      await this.db.query(
        `UPDATE mcp_tools SET removed_at = $2
          WHERE route_id = $1 AND removed_at IS NULL AND last_seen < $2 AND NOT (tool = ANY($3::text[]))
          RETURNING tool`,
        [o.route_id, o.ts, o.tools.map((t) => t.name)],
      ),
    );
    for (const g of gone) this.log.warn(`route ${name}: tool '${g.tool}' is no longer listed`);
    return gone.length > 0;
  }

  async definitionOf(
    routeId: string,
    tool: string,
    fp: string,
    manager: EntityManager = this.db.manager,
  ): Promise<ToolDefinition | null> {
    const rows = await manager.query(
      'SELECT definition FROM mcp_tool_versions WHERE route_id = $1 AND tool = $2 AND fingerprint = $3',
      [routeId, tool, fp],
    );
    return rows[0]?.definition ?? null;
  }

  /** A route's tools, each with its newest version's definition (one query). */
  async toolRows(routeId: string, manager: EntityManager = this.db.manager): Promise<ToolRow[]> {
    return manager.query(
      `SELECT t.*, v.definition FROM mcp_tools t
         LEFT JOIN mcp_tool_versions v
           ON v.route_id = t.route_id AND v.tool = t.tool AND v.fingerprint = t.fingerprint
        WHERE t.route_id = $1 ORDER BY t.tool`,
      [routeId],
    );
  }

  /** Every version of one tool seen, oldest first (newest first with `newestFirst`). */
  async versionsOf(
    routeId: string,
    tool: string,
    manager: EntityManager = this.db.manager,
    newestFirst = false,
  ): Promise<
    {
      fingerprint: string;
      definition: ToolDefinition | null;
      first_seen: number;
      last_seen: number;
      first_node_id: string | null;
      last_node_id: string | null;
    }[]
  > {
    return manager.query(
      `SELECT fingerprint, definition, first_seen, last_seen, first_node_id, last_node_id
         FROM mcp_tool_versions WHERE route_id = $1 AND tool = $2
        ORDER BY ${newestFirst ? 'last_seen DESC' : 'first_seen'}`,
      [routeId, tool],
    );
  }

  /** What the views show of a tool as the upstream lists it. */
  upstreamOf(row: ToolRow) {
    return {
      fingerprint: row.fingerprint,
      first_seen: Number(row.first_seen),
      last_seen: Number(row.last_seen),
      first_node_id: row.first_node_id,
      last_node_id: row.last_node_id,
      removed_at: row.removed_at === null ? null : Number(row.removed_at),
      changes: row.changes,
    };
  }
}

/** TypeORM answers an UPDATE … RETURNING with `[rows, affected]` on Postgres drivers. */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) && Array.isArray(result[0]) ? (result[0] as T[]) : (result as T[]);
}
