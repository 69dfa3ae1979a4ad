/**
 * Every write is refused when it would leave an MCP server the data planes could not serve: a
 * conversion tool they could not build, or two tools of one name in a listener's set (which
 * spans plugins, so it is checked on the whole config at commit, not per entity).
 */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ConfigVersions } from '../snapshots/config-versions.service';
import { toolSetProblems } from '../../plugins/ai-mcp-proxy/tool-sets';
import { schemaViolation } from '../../shared/errors';
import { KongHttpError } from '../admin/common/kong-http-error';

@Injectable()
export class McpToolSetsCheck implements OnModuleInit {
  constructor(private readonly versions: ConfigVersions) {}

  onModuleInit() {
    this.versions.addCommitCheck((tx) => this.check(tx));
  }

  async check(tx: EntityManager): Promise<void> {
    const plugins = (await tx.query(`SELECT doc FROM plugins WHERE doc->>'name' = 'ai-mcp-proxy'`)).map(
      (r: { doc: Record<string, any> }) => r.doc,
    );
    if (!plugins.some((p: Record<string, any>) => p.config?.mode !== 'passthrough-listener')) return;
    const routeIds = [...new Set(plugins.map((p: Record<string, any>) => p.route?.id).filter(Boolean))];
    const routes = routeIds.length
      ? await tx.query(`SELECT doc FROM routes WHERE id = ANY($1::uuid[])`, [routeIds])
      : [];
    const problems = toolSetProblems(
      plugins,
      new Map(routes.map((r: { doc: Record<string, any> }) => [r.doc.id, r.doc])),
    );
    if (problems.length) throw new KongHttpError(400, schemaViolation(problems.map((p) => p.error)));
  }
}
