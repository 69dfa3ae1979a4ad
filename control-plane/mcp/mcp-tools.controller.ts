import { Controller, Get, Param } from '@nestjs/common';
import { pluginEntity, routeEntity, serviceEntity } from '../../shared/entities';
import { nameItems } from '../../plugins/ai-mcp-proxy/virtual-names';
import { callerOf, decide, denialMessage, toolAclsOf } from '../../plugins/ai-mcp-proxy/tool-acl';
import { EntityStore, type Entity } from '../admin/common/entity-store.service';
import { McpToolInventory } from './tool-inventory.service';
import { McpViewExtensions } from './mcp-view-extensions';

const PLUGIN = 'ai-mcp-proxy';
const MAX = 1000;
/** An analytics record of a tool call the gateway itself refused (an ACL denial). */
const DENIED_CALL = `mcp_method = 'tools/call' AND source = 'gateway' AND jsonrpc_error = -32602`;
/** A tool call the gateway answered because it was over its quota (ai-mcp-rate-limiting). */
const LIMITED_CALL = `mcp_method = 'tools/call' AND source = 'gateway' AND detail->'quota' IS NOT NULL`;

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
   * refused by an ACL or over their quota in the last hour (count and the most recent), across
   * every route.
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
    const [limited] = await this.store.query(
      `SELECT count(*)::int AS count FROM analytics_records WHERE ${LIMITED_CALL} AND ts >= $1`,
      [since],
    );
    const recentLimited = await this.store.query(
      `SELECT ts, request_id, route_id, route_name, consumer_username, tool, node_id FROM analytics_records
        WHERE ${LIMITED_CALL} ORDER BY ts DESC LIMIT 10`,
    );
    return {
      routes: governed.length,
      held: [],
      ...(await this.extensions.overviewFields()),
      denied: { last_hour: count, recent },
      limited: { last_hour: limited.count, recent: recentLimited },
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

    const consumers: ConsumerRow[] = await this.store.query(
      `SELECT c.doc, coalesce(array_agg(g.name ORDER BY g.name) FILTER (WHERE g.name IS NOT NULL), '{}') AS groups
         FROM consumers c
         LEFT JOIN consumer_group_consumers m ON m.consumer_id = c.id
         LEFT JOIN consumer_groups g ON g.id = m.consumer_group_id
        GROUP BY c.id, c.doc ORDER BY c.id LIMIT ${MAX}`,
    );
    const seen = await this.traffic(route.id);
    // A virtual server: its sources' tools under the names it serves them by.
    const fromSources =
      config.mode === 'listener' && config.server?.tag
        ? await this.sourceEntries(config, consumers, seen, await this.convertedNames(config.server.tag))
        : [];
    const bySources = new Set(fromSources.filter((t) => t.served).map((t) => t.name));
    const own = seen.filter((t) => !bySources.has(t.tool));
    const tools = [...(await this.toolEntries(route, config, consumers, own)), ...fromSources];
    const callers = consumers.map(({ doc, groups }) => ({
      consumer: { id: doc.id, username: doc.username, custom_id: doc.custom_id, groups },
    }));
    const views = await this.extensions.forRoute(route);
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

  /** A listener's converted tools (of the conversion plugins tagged with its tag). */
  private async convertedNames(tag: string): Promise<string[]> {
    const plugins = (await this.store.list(pluginEntity, { size: MAX, where: { name: PLUGIN } })).data;
    return plugins
      .filter(
        (p) =>
          p.enabled !== false &&
          ['conversion-only', 'conversion-listener'].includes(p.config?.mode) &&
          (p.tags ?? []).includes(tag),
      )
      .flatMap((p) => (p.config?.tools ?? []).map((t: { name?: string }) => t.name ?? ''));
  }

  /** Calls per tool name on a route, from its analytics. */
  private traffic(routeId: string): Promise<Traffic[]> {
    return this.store.query(
      `SELECT tool, count(*)::int AS calls, max(ts) AS last_called FROM analytics_records
        WHERE route_id = $1 AND tool IS NOT NULL GROUP BY tool`,
      [routeId],
    );
  }

  /**
   * One route's tools — configured, listed upstream (data planes report every tools/list
   * reply, before filtering) or called — each with who may call it under `config`.
   */
  private async toolEntries(
    route: Entity,
    config: Record<string, any>,
    consumers: ConsumerRow[],
    seen: Traffic[],
  ): Promise<Record<string, any>[]> {
    const acls = toolAclsOf(config);
    const listed = await this.inventory.toolRows(route.id);
    const names = [
      ...new Set([...acls.tools.keys(), ...seen.map((s) => s.tool), ...listed.map((l) => l.tool)]),
    ].sort();
    const callers = consumers.map(({ doc, groups }) => ({ doc, caller: callerOf(config, doc, groups) }));
    const views = await this.extensions.forRoute(route);
    const tools = [];
    for (const name of names) {
      const traffic = seen.find((s) => s.tool === name);
      const acl = acls.aclFor(name);
      const row = listed.find((l) => l.tool === name);
      const entry = {
        name,
        key: name,
        configured: acls.tools.has(name),
        upstream: row ? this.inventory.upstreamOf(row) : null,
        calls: traffic?.calls ?? 0,
        last_called: traffic?.last_called ?? null,
        acl_source: acls.sourceOf(name),
        decisions: callers.map(({ doc, caller }) => {
          const d = decide(acl, caller);
          return {
            consumer: doc.username ?? doc.custom_id ?? doc.id,
            allowed: d.allowed,
            reason: d.allowed ? null : denialMessage(name, d),
          };
        }),
      };
      tools.push(await this.extensions.toolEntry(views, name, row, entry));
    }
    return tools;
  }

  /**
   * A listener's source tools (the passthrough routes tagged with its `server.tag`), as its data
   * planes serve them: named by the listener's rule over every source's listed tools (the
   * same code), judged by the source route's ACLs and then the listener's `default_acl`, with
   * the source route's pinning state; calls are the listener's, by public name.
   */
  private async sourceEntries(
    config: Record<string, any>,
    consumers: ConsumerRow[],
    seen: Traffic[],
    reserved: string[],
  ): Promise<Record<string, any>[]> {
    const tag = config.server.tag as string;
    const sources = [];
    for (const { route, plugin } of await this.governing())
      if (
        plugin.enabled !== false &&
        plugin.config?.mode === 'passthrough-listener' &&
        (plugin.tags ?? []).includes(tag) &&
        route.service?.id
      ) {
        const service = await this.store.find(serviceEntity, route.service.id);
        const entries = await this.toolEntries(route, plugin.config, consumers, []);
        sources.push({
          name: (service?.name ?? route.name ?? route.id) as string,
          preserveNames: plugin.config?.server?.preserve_upstream_tool_names === true,
          route,
          entries,
        });
      }
    const named = nameItems(
      'tools',
      sources,
      config.server.tool_name_prefix ?? 'on_collision',
      sources.map((s, i) => ({ source: i, items: s.entries.map((e) => ({ name: e.name })) })),
      reserved,
    );
    const publicName = new Map([...named.routes].map(([pub, at]) => [`${at.source} ${at.name}`, pub]));
    const listener = toolAclsOf(config).defaultAcl;
    const out = [];
    for (const [i, source] of sources.entries())
      for (const entry of source.entries) {
        const served = publicName.get(`${i} ${entry.name}`) ?? null;
        const name = served ?? entry.name;
        const traffic = served ? seen.find((t) => t.tool === served) : undefined;
        const omitted = named.omitted.find((o) => o.source === source.name && o.tools === entry.name);
        out.push({
          ...entry,
          name,
          key: `${source.name}\u0000${entry.name}`,
          upstream_name: entry.name,
          source: { name: source.name, route: { id: source.route.id, name: source.route.name } },
          served: served !== null,
          omitted: omitted?.reason ?? null,
          calls: traffic?.calls ?? 0,
          last_called: traffic?.last_called ?? null,
          decisions: entry.decisions.map((d: Decision, c: number) => {
            if (!d.allowed) return d;
            if (!served) return { ...d, allowed: false, reason: `not served: ${omitted?.reason}` };
            const mine = decide(listener, callerOf(config, consumers[c].doc, consumers[c].groups));
            return mine.allowed ? d : { ...d, allowed: false, reason: denialMessage(name, mine) };
          }),
        });
      }
    return out;
  }
}

interface ConsumerRow {
  doc: Entity;
  groups: string[];
}
interface Traffic {
  tool: string;
  calls: number;
  last_called: string;
}
interface Decision {
  consumer: string;
  allowed: boolean;
  reason: string | null;
}
