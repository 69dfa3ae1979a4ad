/**
 * What admins see of pinning: each tool's state under the plugin governing its route, a tool's
 * history with the diff from the approved version, and the tools held cluster-wide. It adds the
 * pinning state to the MCP views (route summary, each tool, the overview's held tools).
 */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  diffTools,
  fingerprint,
  type ToolDefinition,
  type ToolField,
} from '../../../shared/mcp/tool-fingerprint';
import { isHeld, pinsOf, type PinningConfig, type PinState } from '../pins';
import type { HeldTool } from '../held-tools';
import {
  KongHttpError,
  McpToolInventory,
  McpViewExtensions,
  type Entity,
  type ToolRow,
} from '../../../control-plane/plugin-api';
import { decisionsOf, type ToolDecisionRow } from './tool-decisions';

export const PINNING = 'mcp-tool-pinning';

/** An inventory row with the plugin's decisions on it. */
export type PinnedRow = ToolRow & Omit<ToolDecisionRow, 'tool'>;

export interface ToolPinView {
  state: PinState | 'unpinned' | 'rejected';
  held: boolean;
  approved_fingerprint: string | null;
  /** The newest version, fingerprinted as the plugin counts changes. */
  current_fingerprint: string | null;
  changed_fields: ToolField[];
}

const UNPINNED: ToolPinView = {
  state: 'unpinned',
  held: false,
  approved_fingerprint: null,
  current_fingerprint: null,
  changed_fields: [],
};

@Injectable()
export class PinViews implements OnModuleInit {
  constructor(
    private readonly db: DataSource,
    private readonly inventory: McpToolInventory,
    private readonly views: McpViewExtensions,
  ) {}

  onModuleInit() {
    this.views.register('pinning', {
      route: async (route) => {
        // The view read the route's tools already: only the decisions are read here.
        const plugin = await this.pinningFor(route);
        const decisions = await decisionsOf(this.db.manager, route.id);
        return {
          summary: summaryOf(plugin),
          tool: async (name, row) => {
            const pinned = row ? withDecision(row, decisions.get(name)) : undefined;
            return {
              pinning: plugin ? await this.viewOf(route, plugin, pinned, name) : null,
              ...(pinned ? { upstream: approvalOf(pinned) } : {}),
            };
          },
        };
      },
      overview: async () => ({ held: await this.heldWithNames() }),
    });
  }

  async pinningFor(route: Entity, manager?: EntityManager): Promise<Entity | null> {
    return (
      (await this.inventory.governing(PINNING, manager)).find((g) => g.route.id === route.id)?.plugin ?? null
    );
  }

  /** A route's tools with the plugin's decisions on them. */
  async pinnedRows(routeId: string, manager: EntityManager = this.db.manager): Promise<PinnedRow[]> {
    const decisions = await decisionsOf(manager, routeId);
    return (await this.inventory.toolRows(routeId, manager)).map((r) =>
      withDecision(r, decisions.get(r.tool)),
    );
  }

  /** One tool's pinning state under the plugin governing its route. */
  async viewOf(
    route: Entity,
    plugin: Entity | null,
    row: PinnedRow | undefined,
    name: string,
    manager: EntityManager = this.db.manager,
  ): Promise<ToolPinView> {
    if (!plugin) return UNPINNED;
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
    const versions = await this.inventory.versionsOf(routeId, tool, manager, true);
    return (
      versions.find((v) => v.definition && fingerprint(v.definition, fields) === approved)?.definition ?? null
    );
  }

  /** A tool's history and the diff from the approved version to the newest. */
  async detail(route: Entity, name: string) {
    const plugin = await this.pinningFor(route);
    const row = (await this.pinnedRows(route.id)).find((r) => r.tool === name);
    const versions = await this.inventory.versionsOf(route.id, name);
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
      upstream: row ? { ...this.inventory.upstreamOf(row), ...approvalOf(row) } : null,
      definition: current,
      approved_definition: approved,
      diff: view.state === 'changed' || view.state === 'rejected' ? diffTools(approved, current).patch : [],
      versions,
    };
  }

  /** Tools held on enforcing pinned routes, as the cluster last saw them. */
  async held(): Promise<HeldTool[]> {
    const out: HeldTool[] = [];
    for (const { route, plugin } of await this.inventory.governing(PINNING)) {
      if (plugin.enabled === false || plugin.config?.mode !== 'enforce') continue;
      // A tool no longer listed (anywhere, or to some callers) stays held until decided on.
      for (const r of await this.pinnedRows(route.id)) {
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

  private async heldWithNames() {
    const names = new Map(
      (await this.inventory.governing(PINNING)).map(({ route }) => [route.id, route.name ?? route.id]),
    );
    return (await this.held()).map((h) => ({ ...h, route_name: names.get(h.route_id) ?? null }));
  }
}

function withDecision(row: ToolRow, d: ToolDecisionRow | undefined): PinnedRow {
  return {
    ...row,
    approved_by: d?.approved_by ?? null,
    approved_at: d?.approved_at ?? null,
    rejected_fingerprint: d?.rejected_fingerprint ?? null,
  };
}

function summaryOf(plugin: Entity | null) {
  return plugin
    ? {
        id: plugin.id,
        enabled: plugin.enabled,
        mode: plugin.config.mode,
        first_use: plugin.config.first_use,
        fingerprint_fields: plugin.config.fingerprint_fields,
      }
    : null;
}

function approvalOf(row: PinnedRow) {
  return {
    approved_by: row.approved_by,
    approved_at: row.approved_at === null ? null : Number(row.approved_at),
  };
}
