/**
 * What plugins add to the MCP views (`GET /mcp/routes/{r}/tools`, `GET /mcp/overview`) without
 * the views naming them: a route-level summary under the plugin's key, fields merged into each
 * tool's entry (objects one level deep, so a plugin may add to `upstream`), and overview fields.
 */
import { Injectable } from '@nestjs/common';
import type { Entity } from '../admin/common/entity-store.service';
import type { ToolRow } from './tool-inventory.service';

/** What one plugin adds to one route's view: computed once per view, then asked per tool. */
export interface McpRouteView {
  /** Under the plugin's key at the route level. */
  summary: unknown;
  /** Fields merged into one tool's entry. */
  tool(name: string, row: ToolRow | undefined): Promise<Record<string, unknown>>;
}

export interface McpViewExtension {
  route?(route: Entity): Promise<McpRouteView>;
  overview?(): Promise<Record<string, unknown>>;
}

@Injectable()
export class McpViewExtensions {
  private readonly extensions: { key: string; extension: McpViewExtension }[] = [];

  register(key: string, extension: McpViewExtension): void {
    this.extensions.push({ key, extension });
  }

  /** Every extension's view of `route`, by key. */
  async forRoute(route: Entity): Promise<Map<string, McpRouteView>> {
    const out = new Map<string, McpRouteView>();
    for (const { key, extension } of this.extensions)
      if (extension.route) out.set(key, await extension.route(route));
    return out;
  }

  /** `entry` with every extension's fields for this tool merged in. */
  async toolEntry(
    views: Map<string, McpRouteView>,
    name: string,
    row: ToolRow | undefined,
    entry: Record<string, any>,
  ): Promise<Record<string, any>> {
    for (const view of views.values())
      for (const [k, v] of Object.entries(await view.tool(name, row)))
        entry[k] = isPlain(entry[k]) && isPlain(v) ? { ...entry[k], ...v } : v;
    return entry;
  }

  async overviewFields(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const { extension } of this.extensions)
      if (extension.overview) Object.assign(out, await extension.overview());
    return out;
  }
}

const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
