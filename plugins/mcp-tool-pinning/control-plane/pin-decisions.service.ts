/**
 * What admins (and first use) decide: approvals are written into the governing plugin's config
 * (so they reach every data plane in the next snapshot and live in decK files), who decided and
 * rejections into the plugin's table. Every decision names the version reviewed.
 */
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { pluginEntity } from '../../../shared/entities';
import { fingerprint } from '../../../shared/mcp/tool-fingerprint';
import { pinsOf, type PinningConfig, type Pins } from '../pins';
import {
  ConfigVersions,
  EntityStore,
  KongHttpError,
  McpToolInventory,
  type Entity,
  type Observed,
} from '../../../control-plane/plugin-api';
import { PINNING, PinViews, type PinnedRow } from './pin-views.service';
import { HeldTools } from './held-tools.service';
import { firstUseOf, recordApprovals, recordRejection } from './tool-decisions';

/** A paginated first listing: pages that follow the first within this time are first use too. */
const FIRST_USE_WINDOW_MS = 60_000;
/** `approved_by` of first use: from a whole list, or from pages of one. */
const FIRST_USE = { whole: 'first use', page: 'first use (paginated list)' };

/** A decision names the tool and the version reviewed (its fingerprint under the plugin's fields). */
export interface ToolDecision {
  name: string;
  fingerprint: string;
}

@Injectable()
export class PinDecisions implements OnModuleInit {
  private readonly log = new Logger('McpTools');

  constructor(
    private readonly db: DataSource,
    private readonly store: EntityStore,
    private readonly versions: ConfigVersions,
    private readonly inventory: McpToolInventory,
    private readonly views: PinViews,
    private readonly heldTools: HeldTools,
  ) {}

  onModuleInit() {
    this.inventory.onObserved((o) => this.observed(o));
  }

  /** After reports: first use where a pinning plugin trusting it governs, then what is held. */
  private async observed({ touched, changed }: Observed): Promise<void> {
    const trusting = new Set(
      (await this.inventory.governing(PINNING))
        .filter(({ plugin }) => plugin.config?.first_use === 'trust')
        .map(({ route }) => route.id),
    );
    for (const [routeId, complete] of touched)
      if (trusting.has(routeId) && (await this.firstUse(routeId, complete))) changed = true;
    if (changed) await this.heldTools.publish();
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
        const plugin = await this.views.pinningFor(route, tx);
        if (!plugin || plugin.config.first_use !== 'trust') throw new NothingToDo();
        const pins = pinsOf(plugin.config as PinningConfig);
        const firstUse = await firstUseOf(tx, routeId, FIRST_USE);
        const now = Date.now();
        const inPagedWindow =
          firstUse.at !== null && firstUse.whole === 0 && now - Number(firstUse.at) <= FIRST_USE_WINDOW_MS;
        if (pins.hasBaseline(route) && !inPagedWindow) throw new NothingToDo();
        const rows = (await this.views.pinnedRows(routeId, tx)).filter((r) => r.removed_at === null);
        const additions: { tool: string; fp: string }[] = [];
        for (const r of rows) {
          if (pins.approvedFor(route, r.tool) !== undefined || r.rejected_fingerprint === r.fingerprint)
            continue;
          if (r.definition) additions.push({ tool: r.tool, fp: fingerprint(r.definition, pins.fields) });
        }
        if (!additions.length) throw new NothingToDo();
        await this.writeApprovals(tx, plugin, route, additions);
        const by = complete ? FIRST_USE.whole : FIRST_USE.page;
        await recordApprovals(
          tx,
          routeId,
          additions.map((a) => a.tool),
          by,
          now,
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

  /** Approve each tool at the version reviewed (409 when its current version is another). */
  async approve(route: Entity, decisions: ToolDecision[]): Promise<string[]> {
    const approved = await this.versions.write(async (tx) => {
      const plugin = await this.views.pinningFor(route, tx);
      if (!plugin) throw noPinning(route);
      const pins = pinsOf(plugin.config as PinningConfig);
      const targets = await this.targets(route, pins, decisions, tx);
      const additions = targets.map(({ row, fp }) => ({ tool: row.tool, fp }));
      await this.writeApprovals(tx, plugin, route, additions);
      await recordApprovals(
        tx,
        route.id,
        additions.map((a) => a.tool),
        'admin',
        Date.now(),
      );
      return additions.map((a) => a.tool);
    });
    this.log.log(`route ${route.name ?? route.id}: approved ${approved.join(', ')} through the Admin API`);
    await this.heldTools.publish();
    return approved;
  }

  /** Reject each tool at the version reviewed: it stays held (409 when its current version is another). */
  async reject(route: Entity, decisions: ToolDecision[]): Promise<string[]> {
    const plugin = await this.views.pinningFor(route);
    if (!plugin) throw noPinning(route);
    const targets = await this.targets(route, pinsOf(plugin.config as PinningConfig), decisions);
    for (const { row } of targets)
      await recordRejection(this.db.manager, route.id, row.tool, row.fingerprint);
    this.log.warn(`route ${route.name ?? route.id}: rejected ${targets.map((t) => t.row.tool).join(', ')}`);
    return targets.map((t) => t.row.tool);
  }

  /** The rows decided on, each checked to be at the version reviewed. */
  private async targets(
    route: Entity,
    pins: Pins,
    decisions: ToolDecision[],
    manager: EntityManager = this.db.manager,
  ): Promise<{ row: PinnedRow; fp: string }[]> {
    const rows = new Map((await this.views.pinnedRows(route.id, manager)).map((r) => [r.tool, r]));
    const out: { row: PinnedRow; fp: string }[] = [];
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
}

class NothingToDo extends Error {}

function noPinning(route: Entity) {
  return new KongHttpError(400, {
    message: `no ${PINNING} plugin governs route '${route.name ?? route.id}'`,
  });
}
