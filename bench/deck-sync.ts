/**
 * `tollgate sync` of a large decK file: 10,000 services (each with a route) and 10,000
 * consumers, against a control plane on Postgres. Timed as a user runs it (CLI process).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { runTollgate } from '../test/helpers/process';
import { startCpProcess } from '../test/helpers/topology';
import { withScratchDatabase } from '../test/helpers/control-plane';

const PG = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const N = Number(process.env.BENCH_SYNC_ENTITIES ?? 10000);

export async function benchDeckSync(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sync-'));
  const doc = {
    _format_version: '3.0',
    _info: { select_tags: ['bench'] },
    services: Array.from({ length: N }, (_, i) => ({
      name: `svc-${i}`,
      url: `http://upstream-${i % 50}.internal:8080/v1`,
      routes: [{ name: `route-${i}`, paths: [`/svc-${i}`], strip_path: true }],
    })),
    consumers: Array.from({ length: N }, (_, i) => ({ username: `user-${i}` })),
  };
  const file = join(dir, 'big.yaml');
  writeFileSync(file, YAML.stringify(doc));
  const changed = join(dir, 'big-changed.yaml');
  doc.services[0].routes[0].paths = ['/changed'];
  writeFileSync(changed, YAML.stringify(doc));

  return withScratchDatabase(PG, async (databaseUrl) => {
    const cp = await startCpProcess({ databaseUrl });
    const env = { TOLLGATE_ADMIN_URL: cp.adminUrl, TOLLGATE_ADMIN_TOKEN: undefined };
    const timed = async (args: string[]) => {
      const t0 = performance.now();
      const r = await runTollgate(args, { env });
      if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
      return {
        seconds: (performance.now() - t0) / 1000,
        summary: /Created: (\d+)\n\s+Updated: (\d+)\n\s+Deleted: (\d+)/.exec(r.stdout)?.slice(1).join('/'),
      };
    };
    const rows: string[] = [
      '| step | entities | wall time s | created/updated/deleted |',
      '|---|---|---|---|',
    ];
    try {
      const first = await timed(['sync', file]);
      rows.push(`| first sync (empty gateway) | ${N * 3} | ${first.seconds.toFixed(1)} | ${first.summary} |`);
      const diff = await timed(['diff', file]);
      rows.push(`| diff, no changes | ${N * 3} | ${diff.seconds.toFixed(1)} | ${diff.summary} |`);
      const one = await timed(['sync', changed]);
      rows.push(`| sync with one route changed | ${N * 3} | ${one.seconds.toFixed(1)} | ${one.summary} |`);
      const reset = await timed(['reset', '--force', '--select-tag', 'bench']);
      rows.push(`| reset (delete everything) | ${N * 3} | ${reset.seconds.toFixed(1)} | ${reset.summary} |`);
    } finally {
      await cp.proc.stop('SIGKILL');
    }
    for (const r of rows.slice(2)) process.stderr.write(`${r}\n`);
    return rows.join('\n');
  });
}
