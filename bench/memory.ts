/**
 * Idle memory of `tollgate start` (`npm start`) as the README runs it: a new data dir (so the
 * first start's database creation is included), then the resident memory of every process of
 * the all-in-one once it has served its first config and sat idle for a while. Once with the
 * default `TOLLGATE_DP_WORKERS` and once with one worker.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnTollgate } from '../test/helpers/process';
import { treeRss } from './process-tree';

const IDLE_MS = Number(process.env.BENCH_MEMORY_IDLE_MS ?? 30_000);

async function idleRss(workers: string | undefined) {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-memory-'));
  const start = spawnTollgate(['start'], {
    TOLLGATE_DATA_DIR: dataDir,
    TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_CLUSTER_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_PROXY_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_PROXY_SSL_LISTEN: 'off',
    TOLLGATE_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_DP_WORKERS: workers,
    TOLLGATE_CP_URL: undefined,
    TOLLGATE_CLUSTER_TOKEN: undefined,
    TOLLGATE_ADMIN_TOKEN: undefined,
    DATABASE_URL: undefined,
  });
  try {
    await start.waitFor(/applied config version/);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    return treeRss(start.child.pid!);
  } finally {
    await start.stop('SIGTERM').catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** What a process is, from its command line. */
function role(command: string): string {
  if (/ start$/.test(command)) return 'control plane + embedded database';
  if (/worker-entry/.test(command)) return 'data-plane worker';
  if (/ data-plane$/.test(command)) return 'data plane (primary, or the only process)';
  return command;
}

export async function benchMemory(): Promise<string> {
  const rows = ['| `tollgate start`, first start, idle | process | RSS |', '|---|---|---|'];
  for (const [label, workers] of [
    ['default workers', undefined],
    ['`TOLLGATE_DP_WORKERS=1`', '1'],
  ] as const) {
    const procs = await idleRss(workers);
    for (const p of procs) rows.push(`| ${label} | ${role(p.command)} | ${Math.round(p.rssKb / 1024)} MB |`);
    const total = procs.reduce((s, p) => s + p.rssKb, 0);
    rows.push(`| ${label} | **all of it** | **${Math.round(total / 1024)} MB** |`);
  }
  return `${rows.join('\n')}\n\nRSS from /proc after the first config was applied and ${IDLE_MS / 1000} s idle, in a new data dir.`;
}
