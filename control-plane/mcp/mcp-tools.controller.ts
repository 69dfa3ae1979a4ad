import { Controller, Get, Param } from '@nestjs/common';
import { routeEntity } from '../../shared/entities';
import { callerOf, decide, denialMessage, toolAclsOf } from '../../plugins/ai-mcp-proxy/tool-acl';
import { EntityStore, type Entity } from '../admin/common/entity-store.service';
import { McpToolInventory } from './tool-inventory.service';
import { McpViewExtensions } from './mcp-view-extensions';

const PLUGIN = 'ai-mcp-proxy';
const MAX = 1000;
/** An analytics record of a tool call the gateway itself refused (an ACL denial). */
const DENIED_CALL = `mcp_method = 'tools/call' AND source = 'gateway' AND jsonrpc_error = -32602`;

/**
 * Tollgate's own MCP view (the console's MCP tools page): per route that `ai-mcp-proxy`
 * governs, the tools configured and seen in traffic, the ACL matrix tools × consumers exactly
 * as the data planes decide it (the same module they enforce with), and the recent denied calls.
 */
@Controller('mcp')
export class McpToolsController {
  constructor(
    private readonly store: EntityStore,
    private readonly inventory: McpToolInventory,
    private readonly extensions: McpViewExtensions,
  ) {}

  private governing() {
    return this.inventory.governing(PLUGIN);
  }

  @Get('routes')
  async routes() {
    const data = (await this.governing()).map(({ route, plugin }) => ({
      route: { id: route.id, name: route.name, paths: route.paths },
      plugin: { id: plugin.id, mode: plugin.config?.mode, enabled: plugin.enabled },
      tools_configured: (plugin.config?.tools ?? []).length,
    }));
    return { data, next: null };
  }

  /**
   * The console's overview: governed routes, the tools held for review, and the tool calls
   * refused by an ACL in the last hour (count and the most recent), across every route.
   */
  @Get('overview')
  async overview() {
    const governed = await this.governing();
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const [{ count }] = await this.store.query(
      `SELECT count(*)::int AS count FROM analytics_records
        WHERE ${DENIED_CALL} AND ts >= $1`,
      [since],
    );
    const recent = await this.store.query(
      `SELECT ts, request_id, route_id, route_name, consumer_username, tool, node_id FROM analytics_records
        WHERE ${DENIED_CALL} ORDER BY ts DESC LIMIT 10`,
    );
    return {
      routes: governed.length,
      held: [],
      ...(await this.extensions.overviewFields()),
      denied: { last_hour: count, recent },
    };
  }

  @Get('routes/:route/tools')
  async tools(@Param('route') key: string) {
    const route = await this.store.findOrThrow(routeEntity, key);
    const governed = (await this.governing()).find((g) => g.route.id === route.id);
    if (!governed)
      return {
        route: { id: route.id, name: route.name },
        plugin: null,
        tools: [],
        consumers: [],
        denied: [],
      };
    const config = governed.plugin.config ?? {};
    const acls = toolAclsOf(config);

    const consumers: { doc: Entity; groups: string[] }[] = await this.store.query(
      `SELECT c.doc, coalesce(array_agg(g.name ORDER BY g.name) FILTER (WHERE g.name IS NOT NULL), '{}') AS groups
         FROM consumers c
         LEFT JOIN consumer_group_consumers m ON m.consumer_id = c.id
         LEFT JOIN consumer_groups g ON g.id = m.consumer_group_id
        GROUP BY c.id, c.doc ORDER BY c.id LIMIT ${MAX}`,
    );
    const seen: { tool: string; calls: number; last_called: string }[] = await this.store.query(
      `SELECT tool, count(*)::int AS calls, max(ts) AS last_called FROM analytics_records
        WHERE route_id = $1 AND tool IS NOT NULL GROUP BY tool`,
      [route.id],
    );
    // Tools the upstream listed (data planes report every tools/list reply, before filtering).
    const listed = await this.inventory.toolRows(route.id);
    const names = [
      ...new Set([...acls.tools.keys(), ...seen.map((s) => s.tool), ...listed.map((l) => l.tool)]),
    ].sort();
    const callers = consumers.map(({ doc, groups }) => ({
      consumer: { id: doc.id, username: doc.username, custom_id: doc.custom_id, groups },
      caller: callerOf(config, doc, groups),
    }));
    const views = await this.extensions.forRoute(route);
    const tools = [];
    for (const name of names) {
      const traffic = seen.find((s) => s.tool === name);
      const acl = acls.aclFor(name);
      const row = listed.find((l) => l.tool === name);
      const entry = {
        name,
        configured: acls.tools.has(name),
        upstream: row ? this.inventory.upstreamOf(row) : null,
        calls: traffic?.calls ?? 0,
        last_called: traffic?.last_called ?? null,
        acl_source: acls.sourceOf(name),
        decisions: callers.map(({ consumer, caller }) => {
          const d = decide(acl, caller);
          return {
            consumer: consumer.username ?? consumer.custom_id ?? consumer.id,
            allowed: d.allowed,
            reason: d.allowed ? null : denialMessage(name, d),
          };
        }),
      };
      tools.push(await this.extensions.toolEntry(views, name, row, entry));
    }
    const denied = await this.store.query(
      `SELECT ts, request_id, node_id, consumer_username, consumer_groups, tool, jsonrpc_error
         FROM analytics_records
        WHERE route_id = $1 AND ${DENIED_CALL}
        ORDER BY ts DESC LIMIT 50`,
      [route.id],
    );
    return {
      route: { id: route.id, name: route.name },
      plugin: {
        id: governed.plugin.id,
        mode: config.mode,
        consumer_identifier: config.consumer_identifier,
        include_consumer_groups: config.include_consumer_groups,
        default_acl: acls.defaultAcl,
      },
      ...Object.fromEntries([...views].map(([key, view]) => [key, view.summary])),
      consumers: callers.map((c) => c.consumer),
      tools,
      denied,
    };
  }
}
