import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { DataSource, type EntityManager } from 'typeorm';
import { pluginEntity, routeEntity } from '../../../shared/entities';
import {
  checkToolObservation,
  diffTools,
  fingerprint,
  type HeldTool,
  type ToolDefinition,
  type ToolField,
  type ToolObservation,
} from '../../../shared/mcp/tool-fingerprint';
import {
  isHeld,
  pinsOf,
  type PinningConfig,
  type Pins,
  type PinState,
} from '../../../plugins/mcp-tool-pinning/pins';
import { ConfigVersions } from '../../snapshots/config-versions.service';
import { redact } from '../../../shared/redact';
import { EntityStore, type Entity } from '../common/entity-store.service';
import { KongHttpError } from '../common/kong-http-error';

export const PINNING = 'mcp-tool-pinning';
const MAX = 1000;
/** A paginated first listing: pages that follow the first within this time are first use too. */
const FIRST_USE_WINDOW_MS = 60_000;
/** `approved_by` of first use: from a whole list, or from pages of one. */
const FIRST_USE = 'first use';
const FIRST_USE_PAGE = 'first use (paginated list)';

interface ToolRow {
  route_id: string;
  tool: string;
  fingerprint: string;
  first_seen: number;
  last_seen: number;
  first_node_id: string | null;
  last_node_id: string | null;
  removed_at: number | null;
  changes: number;
  rejected_fingerprint: string | null;
  approved_by: string | null;
  approved_at: number | null;
  /** The newest version's definition (null until a data plane sent it). */
  definition: ToolDefinition | null;
}

/** A decision names the tool and the version reviewed (its fingerprint under the plugin's fields). */
export interface ToolDecision {
  name: string;
  fingerprint: string;
}

export interface ToolPinView {
  state: PinState | 'unpinned' | 'rejected';
  held: boolean;
  approved_fingerprint: string | null;
  /** The newest version, fingerprinted as the plugin counts changes. */
  current_fingerprint: string | null;
  changed_fields: ToolField[];
}

/**
 * The control plane's half of tool pinning: it stores what data planes report of upstream tool
 * lists (newest version per route and tool, every version's definition), keeps first use's
 * baseline, approves and rejects (approvals are written into the governing plugin's config, so
 * they reach every data plane in the next snapshot and live in decK files), and computes the
 * list of held tools the cluster listener sends data planes.
 */
@Injectable()
export class McpToolPins {
  private readonly log = new Logger('McpTools');
  /** `held` (HeldTool[]) whenever what the cluster must hold may have changed. */
  readonly events = new EventEmitter();

  constructor(
    private readonly db: DataSource,
    private readonly store: EntityStore,
    private readonly versions: ConfigVersions,
  ) {}

  /** Kong's precedence for one plugin name: the route's, else its service's, else the global one. */
  async governing(
    name: string,
    manager: EntityManager = this.db.manager,
  ): Promise<{ route: Entity; plugin: Entity }[]> {
    const plugins = (await this.store.list(pluginEntity, { size: MAX, where: { name } }, manager)).data;
    if (!plugins.length) return [];
    const routes = (await this.store.list(routeEntity, { size: MAX }, manager)).data;
    const scoped = (p: Entity) => !p.consumer && !p.consumer_group;
    const out: { route: Entity; plugin: Entity }[] = [];
    for (const route of routes) {
      const plugin =
        plugins.find((p) => scoped(p) && p.route?.id === route.id) ??
        plugins.find((p) => scoped(p) && !p.route && route.service && p.service?.id === route.service.id) ??
        plugins.find((p) => scoped(p) && !p.route && !p.service);
      if (plugin) out.push({ route, plugin });
    }
    return out;
  }

  async pinningFor(route: Entity, manager?: EntityManager): Promise<Entity | null> {
    return (await this.governing(PINNING, manager)).find((g) => g.route.id === route.id)?.plugin ?? null;
  }

  // ---- what data planes report -------------------------------------------------------------------

  /** Observations from one analytics batch (a resend is harmless: every write is idempotent). */
  async ingest(nodeId: string, observations: unknown[]): Promise<void> {
    let changed = false;
    /** Routes seen, and whether a whole list of theirs was among the observations. */
    const touched = new Map<string, boolean>();
    for (const o of observations) {
      if (!checkToolObservation.Check(o)) continue;
      if (await this.ingestOne(nodeId, o)) changed = true;
      touched.set(o.route_id, (touched.get(o.route_id) ?? false) || o.complete);
    }
    if (touched.size) {
      // First use only where a pinning plugin trusting it governs (checked again in the write).
      const trusting = new Set(
        (await this.governing(PINNING))
          .filter(({ plugin }) => plugin.config?.first_use === 'trust')
          .map(({ route }) => route.id),
      );
      for (const [routeId, complete] of touched)
        if (trusting.has(routeId) && (await this.firstUse(routeId, complete))) changed = true;
    }
    if (changed) await this.publishHeld();
  }

  private async ingestOne(nodeId: string, o: ToolObservation): Promise<boolean> {
    const route = (await this.db.query('SELECT doc FROM routes WHERE id = $1', [o.route_id]))[0]?.doc;
    if (!route) return false;
    let changed = false;
    // The route's tools as they stand, read once (not once per listed tool).
    const current = new Map<string, ToolRow>(
      (await this.db.query('SELECT * FROM mcp_tools WHERE route_id = $1', [o.route_id])).map((r: ToolRow) => [
        r.tool,
        r,
      ]),
    );
    for (const t of o.tools) {
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
      const prev = current.get(t.name);
      if (!prev) {
        await this.db.query(
          `INSERT INTO mcp_tools (route_id, tool, fingerprint, first_seen, last_seen, first_node_id, last_node_id)
           VALUES ($1, $2, $3, $4, $4, $5, $5) ON CONFLICT DO NOTHING`,
          [o.route_id, t.name, t.fingerprint, o.ts, nodeId],
        );
        this.log.log(
          `route ${route.name ?? route.id}: new tool '${t.name}' (${t.fingerprint}) seen by ${nodeId}`,
        );
        changed = true;
        continue;
      }
      if (o.ts < Number(prev.last_seen)) continue; // an older report: history only
      if (prev.fingerprint !== t.fingerprint) {
        const diff = await this.diffFingerprints(o.route_id, t.name, prev.fingerprint, t.fingerprint);
        // The diff is of tool metadata (descriptions, schemas), never calls; secret-looking keys
        // in it are redacted all the same.
        this.log.warn(
          `route ${route.name ?? route.id}: tool '${t.name}' changed upstream (${diff.fields.join(', ') || 'definition'}) seen by ${nodeId}: ${JSON.stringify(redact(diff.patch)).slice(0, 2000)}`,
        );
        changed = true;
      }
      if (prev.removed_at !== null) {
        this.log.log(`route ${route.name ?? route.id}: tool '${t.name}' is listed again`);
        changed = true;
      }
      await this.db.query(
        `UPDATE mcp_tools SET fingerprint = $3, last_seen = $4, last_node_id = $5, removed_at = NULL,
                changes = changes + $6
          WHERE route_id = $1 AND tool = $2`,
        [o.route_id, t.name, t.fingerprint, o.ts, nodeId, prev.fingerprint !== t.fingerprint ? 1 : 0],
      );
    }
    if (o.complete) {
      const names = o.tools.map((t) => t.name);
      const gone: { tool: string }[] = rowsOf(
        await this.db.query(
          `UPDATE mcp_tools SET removed_at = $2
          WHERE route_id = $1 AND removed_at IS NULL AND last_seen < $2 AND NOT (tool = ANY($3::text[]))
          RETURNING tool`,
          [o.route_id, o.ts, names],
        ),
      );
      for (const g of gone)
        this.log.warn(`route ${route.name ?? route.id}: tool '${g.tool}' is no longer listed`);
      if (gone.length) changed = true;
    }
    return changed;
  }

  private async definitionOf(
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

  private async diffFingerprints(routeId: string, tool: string, from: string, to: string) {
    return diffTools(
      await this.definitionOf(routeId, tool, from),
      await this.definitionOf(routeId, tool, to),
    );
  }

  /**
   * First use, trusted: a pinned route with no approval yet gets its tools approved as first
   * seen. When that first sight was one page of a paginated list, the pages that follow within
   * a minute are first use too; after a whole list, any tool added is new.
   */
  private async firstUse(routeId: string, complete: boolean): Promise<boolean> {
    return this.versions
      .write(async (tx) => {
        const route = (await tx.query('SELECT doc FROM routes WHERE id = $1', [routeId]))[0]?.doc;
        if (!route) throw new NothingToDo();
        const plugin = await this.pinningFor(route, tx);
        if (!plugin || plugin.config.first_use !== 'trust') throw new NothingToDo();
        const pins = pinsOf(plugin.config as PinningConfig);
        const firstUse: { at: number | null; whole: number } = (
          await tx.query(
            `SELECT min(approved_at) AS at, count(*) FILTER (WHERE approved_by = '${FIRST_USE}')::int AS whole
               FROM mcp_tools WHERE route_id = $1 AND approved_by IN ('${FIRST_USE}', '${FIRST_USE_PAGE}')`,
            [routeId],
          )
        )[0] ?? { at: null, whole: 0 };
        const now = Date.now();
        const inPagedWindow =
          firstUse.at !== null && firstUse.whole === 0 && now - Number(firstUse.at) <= FIRST_USE_WINDOW_MS;
        if (pins.hasBaseline(route) && !inPagedWindow) throw new NothingToDo();
        const rows = (await this.toolRows(routeId, tx)).filter((r) => r.removed_at === null);
        const additions: { tool: string; fp: string }[] = [];
        for (const r of rows) {
          if (pins.approvedFor(route, r.tool) !== undefined || r.rejected_fingerprint === r.fingerprint)
            continue;
          if (r.definition) additions.push({ tool: r.tool, fp: fingerprint(r.definition, pins.fields) });
        }
        if (!additions.length) throw new NothingToDo();
        await this.writeApprovals(tx, plugin, route, additions);
        await tx.query(
          `UPDATE mcp_tools SET approved_by = $4, approved_at = $3 WHERE route_id = $1 AND tool = ANY($2::text[])`,
          [routeId, additions.map((a) => a.tool), now, complete ? FIRST_USE : FIRST_USE_PAGE],
        );
        this.log.log(
          `route ${route.name ?? route.id}: first use trusted, ${additions.length} tools approved (${additions.map((a) => a.tool).join(', ')})`,
        );
        return true;
      })
      .catch((err) => {
        if (err instanceof NothingToDo) return false;
        throw err;
      });
  }

  /** Approvals into the plugin's config (validated like any Admin API write). */
  private async writeApprovals(
    tx: EntityManager,
    plugin: Entity,
    route: Entity,
    approvals: { tool: string; fp: string }[],
  ) {
    // An approval names the route unless the plugin is on that very route.
    const key = plugin.route?.id === route.id ? null : (route.name ?? route.id);
    const current = (await tx.query('SELECT doc FROM plugins WHERE id = $1 FOR UPDATE', [plugin.id]))[0]?.doc;
    const list: { route: string | null; name: string; fingerprint: string }[] = [
      ...(current?.config?.approved_tools ?? []),
    ];
    for (const a of approvals) {
      const matches = (e: { route: string | null; name: string }) =>
        e.name === a.tool && (e.route ?? null) === key;
      const i = list.findIndex(matches);
      const entry = { route: key, name: a.tool, fingerprint: a.fp };
      if (i >= 0) list[i] = entry;
      else list.push(entry);
    }
    await this.store.updateIn(tx, pluginEntity, current ?? plugin, { config: { approved_tools: list } });
  }

  // ---- what admins see and do --------------------------------------------------------------------

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

  /** One tool's pinning state under the plugin governing its route. */
  async viewOf(
    route: Entity,
    plugin: Entity | null,
    row: ToolRow | undefined,
    name: string,
    manager: EntityManager = this.db.manager,
  ): Promise<ToolPinView> {
    if (!plugin)
      return {
        state: 'unpinned',
        held: false,
        approved_fingerprint: null,
        current_fingerprint: null,
        changed_fields: [],
      };
    const pins = pinsOf(plugin.config as PinningConfig);
    const ref = { id: route.id as string, name: route.name as string | null };
    const approved = pins.approvedFor(ref, name) ?? null;
    const def = row?.definition ?? null;
    const current = def ? fingerprint(def, pins.fields) : null;
    const state = pins.stateOf(ref, name, current ?? undefined);
    let changed: ToolField[] = [];
    if (state === 'changed' && approved) {
      const before = await this.approvedDefinition(route.id, name, approved, pins.fields, manager);
      changed = diffTools(before, def).fields.filter((f) => pins.fields.includes(f));
    }
    return {
      state: isHeld(state) && row && row.rejected_fingerprint === row.fingerprint ? 'rejected' : state,
      held: pins.enforce && isHeld(state),
      approved_fingerprint: approved,
      current_fingerprint: current,
      changed_fields: changed,
    };
  }

  /** The stored definition whose fingerprint (under `fields`) is the approved one. */
  private async approvedDefinition(
    routeId: string,
    tool: string,
    approved: string,
    fields: readonly ToolField[],
    manager: EntityManager = this.db.manager,
  ): Promise<ToolDefinition | null> {
    const versions: { definition: ToolDefinition | null }[] = await manager.query(
      'SELECT definition FROM mcp_tool_versions WHERE route_id = $1 AND tool = $2 ORDER BY last_seen DESC',
      [routeId, tool],
    );
    return (
      versions.find((v) => v.definition && fingerprint(v.definition, fields) === approved)?.definition ?? null
    );
  }

  /** A tool's history and the diff from the approved version to the newest. */
  async detail(route: Entity, name: string) {
    const plugin = await this.pinningFor(route);
    const row = (await this.toolRows(route.id)).find((r) => r.tool === name);
    const versions = await this.db.query(
      `SELECT fingerprint, definition, first_seen, last_seen, first_node_id, last_node_id
         FROM mcp_tool_versions WHERE route_id = $1 AND tool = $2 ORDER BY first_seen`,
      [route.id, name],
    );
    if (!row && !versions.length) throw new KongHttpError(404, { message: 'Not found' });
    const view = await this.viewOf(route, plugin, row, name);
    const current = row?.definition ?? null;
    const fields = plugin ? pinsOf(plugin.config as PinningConfig).fields : undefined;
    const approved =
      view.approved_fingerprint && fields
        ? await this.approvedDefinition(route.id, name, view.approved_fingerprint, fields)
        : null;
    return {
      route: { id: route.id, name: route.name },
      name,
      pinning: view,
      upstream: row ? this.upstreamOf(row) : null,
      definition: current,
      approved_definition: approved,
      diff: view.state === 'changed' || view.state === 'rejected' ? diffTools(approved, current).patch : [],
      versions,
    };
  }

  upstreamOf(row: ToolRow) {
    return {
      fingerprint: row.fingerprint,
      first_seen: Number(row.first_seen),
      last_seen: Number(row.last_seen),
      first_node_id: row.first_node_id,
      last_node_id: row.last_node_id,
      removed_at: row.removed_at === null ? null : Number(row.removed_at),
      changes: row.changes,
      approved_by: row.approved_by,
      approved_at: row.approved_at === null ? null : Number(row.approved_at),
    };
  }

  /** Approve each tool at the version reviewed (409 when its current version is another). */
  async approve(route: Entity, decisions: ToolDecision[]): Promise<string[]> {
    const approved = await this.versions.write(async (tx) => {
      const plugin = await this.pinningFor(route, tx);
      if (!plugin) throw noPinning(route);
      const pins = pinsOf(plugin.config as PinningConfig);
      const targets = await this.targets(route, pins, decisions, tx);
      const additions = targets.map(({ row, fp }) => ({ tool: row.tool, fp }));
      await this.writeApprovals(tx, plugin, route, additions);
      await tx.query(
        `UPDATE mcp_tools SET approved_by = 'admin', approved_at = $3, rejected_fingerprint = NULL
          WHERE route_id = $1 AND tool = ANY($2::text[])`,
        [route.id, additions.map((a) => a.tool), Date.now()],
      );
      return additions.map((a) => a.tool);
    });
    this.log.log(`route ${route.name ?? route.id}: approved ${approved.join(', ')} through the Admin API`);
    await this.publishHeld();
    return approved;
  }

  /** Reject each tool at the version reviewed: it stays held (409 when its current version is another). */
  async reject(route: Entity, decisions: ToolDecision[]): Promise<string[]> {
    const plugin = await this.pinningFor(route);
    if (!plugin) throw noPinning(route);
    const targets = await this.targets(route, pinsOf(plugin.config as PinningConfig), decisions);
    for (const { row } of targets)
      await this.db.query(
        // Only the version reviewed: a newer one seen meanwhile is not rejected unseen.
        'UPDATE mcp_tools SET rejected_fingerprint = fingerprint WHERE route_id = $1 AND tool = $2 AND fingerprint = $3',
        [route.id, row.tool, row.fingerprint],
      );
    this.log.warn(`route ${route.name ?? route.id}: rejected ${targets.map((t) => t.row.tool).join(', ')}`);
    return targets.map((t) => t.row.tool);
  }

  /** The rows decided on, each checked to be at the version reviewed. */
  private async targets(
    route: Entity,
    pins: Pins,
    decisions: ToolDecision[],
    manager: EntityManager = this.db.manager,
  ): Promise<{ row: ToolRow; fp: string }[]> {
    const rows = new Map((await this.toolRows(route.id, manager)).map((r) => [r.tool, r]));
    const out: { row: ToolRow; fp: string }[] = [];
    const routeName = route.name ?? route.id;
    for (const d of decisions) {
      const row = rows.get(d.name);
      if (!row)
        throw new KongHttpError(404, { message: `no tool '${d.name}' was seen on route '${routeName}'` });
      if (!row.definition)
        throw new KongHttpError(409, {
          message: `no definition of tool '${d.name}' is stored yet: list its tools through a data plane first`,
        });
      const current = fingerprint(row.definition, pins.fields);
      if (current !== d.fingerprint)
        throw new KongHttpError(409, {
          message: `tool '${d.name}' is now at version ${current}, not ${d.fingerprint} that was reviewed: review the current version and decide on it`,
          fields: { current_fingerprint: current },
        });
      out.push({ row, fp: current });
    }
    return out;
  }

  // ---- what data planes are told -----------------------------------------------------------------

  private lastHeld = '';

  /** Tools held on enforcing pinned routes, as the cluster last saw them. */
  async held(): Promise<HeldTool[]> {
    const out: HeldTool[] = [];
    for (const { route, plugin } of await this.governing(PINNING)) {
      if (plugin.enabled === false || plugin.config?.mode !== 'enforce') continue;
      // A tool no longer listed (anywhere, or to some callers) stays held until decided on.
      for (const r of await this.toolRows(route.id)) {
        const v = await this.viewOf(route, plugin, r, r.tool);
        if (!v.held || !v.current_fingerprint) continue;
        out.push({
          route_id: route.id,
          name: r.tool,
          fingerprint: v.current_fingerprint,
          seen_at: Number(r.last_seen),
          changed: v.changed_fields,
        });
      }
    }
    return out;
  }

  /** Recompute the held list; emitted when it differs from the last one. */
  async publishHeld(force = false): Promise<HeldTool[]> {
    const held = await this.held();
    const text = JSON.stringify(held.map((h) => [h.route_id, h.name, h.fingerprint]));
    if (force || text !== this.lastHeld) {
      this.lastHeld = text;
      this.events.emit('held', held);
    }
    return held;
  }
}

class NothingToDo extends Error {}

/** TypeORM answers an UPDATE … RETURNING with `[rows, affected]` on Postgres drivers. */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) && Array.isArray(result[0]) ? (result[0] as T[]) : (result as T[]);
}

function noPinning(route: Entity) {
  return new KongHttpError(400, {
    message: `no ${PINNING} plugin governs route '${route.name ?? route.id}'`,
  });
}
