import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { routeEntity } from '../../../shared/entities';
import { McpToolPins, type ToolDecision } from './mcp-tool-pins.service';
import { FINGERPRINT_PATTERN } from '../../../shared/mcp/tool-fingerprint';
import { KongHttpError } from '../common/kong-http-error';
import { callerOf, decide, denialMessage, toolAclsOf } from '../../../plugins/ai-mcp-proxy/tool-acl';
import { EntityStore, type Entity } from '../common/entity-store.service';
import { schemaViolation } from '../../../shared/errors';

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
    private readonly pins: McpToolPins,
  ) {}

  private governing() {
    return this.pins.governing(PLUGIN);
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
    const names = new Map(governed.map(({ route }) => [route.id, route.name ?? route.id]));
    const held = (await this.pins.held()).map((h) => ({ ...h, route_name: names.get(h.route_id) ?? null }));
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
      held,
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
    const listed = await this.pins.toolRows(route.id);
    const pinning = await this.pins.pinningFor(route);
    const names = [
      ...new Set([...acls.tools.keys(), ...seen.map((s) => s.tool), ...listed.map((l) => l.tool)]),
    ].sort();
    const callers = consumers.map(({ doc, groups }) => ({
      consumer: { id: doc.id, username: doc.username, custom_id: doc.custom_id, groups },
      caller: callerOf(config, doc, groups),
    }));
    const tools = [];
    for (const name of names) {
      const traffic = seen.find((s) => s.tool === name);
      const acl = acls.aclFor(name);
      const row = listed.find((l) => l.tool === name);
      tools.push({
        name,
        configured: acls.tools.has(name),
        upstream: row ? this.pins.upstreamOf(row) : null,
        pinning: pinning ? await this.pins.viewOf(route, pinning, row, name) : null,
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
      });
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
      pinning: pinning
        ? {
            id: pinning.id,
            enabled: pinning.enabled,
            mode: pinning.config.mode,
            first_use: pinning.config.first_use,
            fingerprint_fields: pinning.config.fingerprint_fields,
          }
        : null,
      consumers: callers.map((c) => c.consumer),
      tools,
      denied,
    };
  }

  /** One tool: its pinning state, every version seen, and the diff from the approved one. */
  @Get('routes/:route/tools/:tool')
  async tool(@Param('route') key: string, @Param('tool') tool: string) {
    return this.pins.detail(await this.store.findOrThrow(routeEntity, key), tool);
  }

  /**
   * The same, the tool named in the query (`?name=`): any name, `.` and `..` included, which a
   * client would otherwise normalise out of a path. The console always asks this way.
   */
  @Get('routes/:route/tool')
  async toolByName(@Param('route') key: string, @Query('name') name: unknown) {
    if (typeof name !== 'string' || !name)
      throw new KongHttpError(
        400,
        schemaViolation([{ path: ['name'], message: 'the tool name is required (?name=)' }]),
      );
    return this.pins.detail(await this.store.findOrThrow(routeEntity, key), name);
  }

  /**
   * `approve` or `reject` one tool, at the version reviewed: `{"fingerprint": "sha256:…"}` (the
   * `current_fingerprint` shown). Another current version is a 409: review that one.
   */
  @Post('routes/:route/tools/:tool/:decision')
  @HttpCode(200)
  async decideOne(
    @Param('route') key: string,
    @Param('tool') tool: string,
    @Param('decision') d: string,
    @Body() body: unknown,
  ) {
    const route = await this.store.findOrThrow(routeEntity, key);
    const fp = isObject(body) ? body.fingerprint : undefined;
    if (typeof fp !== 'string' || !FINGERPRINT.test(fp))
      throw new KongHttpError(
        400,
        schemaViolation([
          { path: ['fingerprint'], message: 'required: the fingerprint of the version reviewed' },
        ]),
      );
    await this.decide(route, [{ name: tool, fingerprint: fp }], d);
    return this.pins.detail(route, tool);
  }

  /**
   * Approve (or reject) several tools, each at the version reviewed:
   * `{"tools": [{"name": …, "fingerprint": …}, …]}`. Never implicit: an empty POST is a 400.
   */
  @Post('routes/:route/tools/:decision')
  @HttpCode(200)
  async decideMany(@Param('route') key: string, @Param('decision') d: string, @Body() body: unknown) {
    const route = await this.store.findOrThrow(routeEntity, key);
    const names = await this.decide(route, toolDecisions(body), d);
    return { [d === 'approve' ? 'approved' : 'rejected']: names };
  }

  private decide(route: Entity, decisions: ToolDecision[], decision: string): Promise<string[]> {
    if (decision === 'approve') return this.pins.approve(route, decisions);
    if (decision === 'reject') return this.pins.reject(route, decisions);
    throw new KongHttpError(404, { message: 'Not found' });
  }
}

const FINGERPRINT = new RegExp(FINGERPRINT_PATTERN);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function toolDecisions(body: unknown): ToolDecision[] {
  const tools = isObject(body) ? body.tools : undefined;
  const ok =
    Array.isArray(tools) &&
    tools.length > 0 &&
    tools.length <= 10_000 &&
    tools.every(
      (t) =>
        isObject(t) &&
        typeof t.name === 'string' &&
        t.name !== '' &&
        typeof t.fingerprint === 'string' &&
        FINGERPRINT.test(t.fingerprint) &&
        Object.keys(t).every((k) => k === 'name' || k === 'fingerprint'),
    );
  if (!ok)
    throw new KongHttpError(
      400,
      schemaViolation([
        {
          path: ['tools'],
          message: 'expected a non-empty array of {"name", "fingerprint"}: each tool at the version reviewed',
        },
      ]),
    );
  return (tools as ToolDecision[]).map((t) => ({ name: t.name, fingerprint: t.fingerprint }));
}
