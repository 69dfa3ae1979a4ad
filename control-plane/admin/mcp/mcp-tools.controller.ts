import { Controller, Get, Param } from '@nestjs/common';
import { pluginEntity, routeEntity } from '../../../shared/entities';
import { callerOf, decide, denialMessage, toolAclsOf } from '../../../plugins/ai-mcp-proxy/tool-acl';
import { EntityStore, type Entity } from '../common/entity-store.service';

const PLUGIN = 'ai-mcp-proxy';
const MAX = 1000;

/**
 * Tollgate's own MCP view (the console's MCP tools page): per route that `ai-mcp-proxy`
 * governs, the tools configured and seen in traffic, the ACL matrix tools × consumers exactly
 * as the data planes decide it (the same module they enforce with), and the recent denied calls.
 */
@Controller('mcp')
export class McpToolsController {
  constructor(private readonly store: EntityStore) {}

  /** Kong's precedence for one plugin name: the route's, else its service's, else the global one. */
  private async governing(): Promise<{ route: Entity; plugin: Entity }[]> {
    const plugins = (await this.store.list(pluginEntity, { size: MAX, where: { name: PLUGIN } })).data;
    const routes = (await this.store.list(routeEntity, { size: MAX })).data;
    const out: { route: Entity; plugin: Entity }[] = [];
    for (const route of routes) {
      const scoped = (p: Entity) => !p.consumer && !p.consumer_group;
      const plugin =
        plugins.find((p) => scoped(p) && p.route?.id === route.id) ??
        plugins.find((p) => scoped(p) && !p.route && route.service && p.service?.id === route.service.id) ??
        plugins.find((p) => scoped(p) && !p.route && !p.service);
      if (plugin) out.push({ route, plugin });
    }
    return out;
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
    const names = [...new Set([...acls.tools.keys(), ...seen.map((s) => s.tool)])].sort();
    const callers = consumers.map(({ doc, groups }) => ({
      consumer: { id: doc.id, username: doc.username, custom_id: doc.custom_id, groups },
      caller: callerOf(config, doc, groups),
    }));
    const tools = names.map((name) => {
      const traffic = seen.find((s) => s.tool === name);
      const acl = acls.aclFor(name);
      return {
        name,
        configured: acls.tools.has(name),
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
    });
    const denied = await this.store.query(
      `SELECT ts, request_id, node_id, consumer_username, consumer_groups, tool, jsonrpc_error
         FROM analytics_records
        WHERE route_id = $1 AND mcp_method = 'tools/call' AND source = 'gateway' AND jsonrpc_error = -32602
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
      consumers: callers.map((c) => c.consumer),
      tools,
      denied,
    };
  }
}
