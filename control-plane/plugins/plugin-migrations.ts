/**
 * Plugins' migrations, after the core's: each plugin's list in order, each migration once,
 * recorded in `plugin_migrations` (plugin, name) like Kong's per-plugin `schema_meta`. One
 * transaction per migration under an advisory lock, so control planes starting together on one
 * Postgres apply each exactly once; a failing migration stops the start with its plugin named.
 */
import type { DataSource } from 'typeorm';
import type { PluginControlPlane } from './plugin-control-plane';

/** Serialises control planes applying plugin migrations on one database. */
const LOCK_ID = 0x7011_6a7f;

export async function runPluginMigrations(
  db: DataSource,
  plugins: readonly PluginControlPlane[],
  log: (line: string) => void = () => undefined,
): Promise<string[]> {
  await db.query(`CREATE TABLE IF NOT EXISTS plugin_migrations (
    plugin text NOT NULL,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (plugin, name))`);
  const applied: string[] = [];
  for (const plugin of plugins)
    for (const migration of plugin.migrations ?? []) {
      const ran = await db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
        const done = await tx.query('SELECT 1 FROM plugin_migrations WHERE plugin = $1 AND name = $2', [
          plugin.name,
          migration.name,
        ]);
        if (done.length) return false;
        try {
          await migration.up(tx.queryRunner!);
        } catch (err) {
          throw new Error(
            `plugin ${plugin.name}: migration ${migration.name} failed: ${(err as Error).message}`,
          );
        }
        await tx.query('INSERT INTO plugin_migrations (plugin, name) VALUES ($1, $2)', [
          plugin.name,
          migration.name,
        ]);
        return true;
      });
      if (ran) {
        applied.push(`${plugin.name}/${migration.name}`);
        log(`plugin ${plugin.name}: migration ${migration.name} applied`);
      }
    }
  return applied;
}
