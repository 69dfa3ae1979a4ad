/**
 * mcp-tool-pinning's Admin API (Tollgate's own, beside the MCP views): one tool's state, history
 * and diff, and the decisions — approve or reject, always at the version reviewed.
 */
import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { routeEntity } from '../../../shared/entities';
import { FINGERPRINT_PATTERN } from '../../../shared/mcp/tool-fingerprint';
import { schemaViolation } from '../../../shared/errors';
import { EntityStore, KongHttpError, type Entity } from '../../../control-plane/plugin-api';
import { PinViews } from './pin-views.service';
import { PinDecisions, type ToolDecision } from './pin-decisions.service';

@Controller('mcp')
export class PinningController {
  constructor(
    private readonly store: EntityStore,
    private readonly views: PinViews,
    private readonly decisions: PinDecisions,
  ) {}

  /** One tool: its pinning state, every version seen, and the diff from the approved one. */
  @Get('routes/:route/tools/:tool')
  async tool(@Param('route') key: string, @Param('tool') tool: string) {
    return this.views.detail(await this.store.findOrThrow(routeEntity, key), tool);
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
    return this.views.detail(await this.store.findOrThrow(routeEntity, key), name);
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
    return this.views.detail(route, tool);
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
    if (decision === 'approve') return this.decisions.approve(route, decisions);
    if (decision === 'reject') return this.decisions.reject(route, decisions);
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
