/**
 * Every write is refused when it would leave a plugin running on a route without a plugin its
 * definition `requires` (mcp-tool-pinning without ai-mcp-proxy): checked on the whole config at
 * commit, since creating, scoping, disabling or deleting either plugin — or a route — can break
 * it. Effective plugins follow Kong's precedence (the route's, else its service's, else the
 * global one); consumer-scoped instances are not considered.
 */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { PLUGIN_LIST } from '../../../shared/plugins/registry';
import { schemaViolation } from '../../../shared/errors';
import { ConfigVersions } from '../../snapshots/config-versions.service';
import { KongHttpError } from '../common/kong-http-error';
import { governingPlugin } from '../common/plugin-precedence';

type Doc = Record<string, any>;

const REQUIRING = PLUGIN_LIST.filter((p) => p.requires?.length);

@Injectable()
export class PluginRequirementsCheck implements OnModuleInit {
  constructor(private readonly versions: ConfigVersions) {}

  onModuleInit() {
    if (REQUIRING.length) this.versions.addCommitCheck((tx) => this.check(tx));
  }

  async check(tx: EntityManager): Promise<void> {
    const names = [...new Set(REQUIRING.flatMap((d) => [d.name, ...d.requires!]))];
    const plugins: Doc[] = (
      await tx.query(`SELECT doc FROM plugins WHERE doc->>'name' = ANY($1::text[])`, [names])
    ).map((r: { doc: Doc }) => r.doc);
    if (!REQUIRING.some((d) => plugins.some((p) => p.name === d.name && p.enabled !== false))) return;
    const routes: Doc[] = (await tx.query('SELECT doc FROM routes')).map((r: { doc: Doc }) => r.doc);
    for (const def of REQUIRING)
      for (const route of routes) {
        const plugin = governingPlugin(plugins, def.name, route);
        if (!plugin || plugin.enabled === false) continue;
        for (const needed of def.requires!) {
          const other = governingPlugin(plugins, needed, route);
          if (other && other.enabled !== false) continue;
          const where = route.name ?? route.id;
          throw new KongHttpError(
            400,
            schemaViolation([
              {
                path: ['name'],
                message: `plugin '${def.name}' would run on route '${where}' without '${needed}', which it requires there (enabled, on the route, its service or globally)`,
              },
            ]),
          );
        }
      }
  }
}
