/**
 * Scaling per added proxy worker (`TOLLGATE_DP_WORKERS`): one data plane per worker count, all
 * on one control plane, the route without plugins and the seed's GitHub chain (analytics on),
 * 32 connections, rounds interleaved so that the VM's drift hits every count alike. On a
 * two-core machine the load generator, the upstream and the control plane hold cores too: the
 * figure says what a second process buys there, not what it buys on a dedicated host.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startCpProcess, startDpProcess, waitConverged } from '../test/helpers/topology';
import { cannedBench, configure, median, wrk } from './proxy';
import { treeCpu } from './process-tree';

const COUNTS = (process.env.BENCH_WORKERS ?? '1,2,3').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_WORKERS_ROUNDS ?? 3);
const PATHS = [
  ['route without plugins', '/bare/json-1k'],
  ['the seed GitHub chain', '/github-mcp/json-1k'],
] as const;

export async function benchWorkers(): Promise<string> {
  const { dir, script, upPort, nginx } = await cannedBench('workers');
  let cp: Awaited<ReturnType<typeof startCpProcess>> | undefined;
  const dps: Awaited<ReturnType<typeof startDpProcess>>[] = [];
  try {
    cp = await startCpProcess({ dataDir: join(dir, 'cp') });
    const hash = await configure(cp.adminUrl, upPort, dir);
    for (const n of COUNTS)
      dps.push(await startDpProcess({ cpUrl: cp!.clusterUrl, env: { TOLLGATE_DP_WORKERS: String(n) } }));
    await waitConverged(dps, hash);
    const rps = new Map<string, number[]>();
    const cpu = new Map<string, number[]>();
    for (let round = 0; round < ROUNDS; round++)
      for (const [label, path] of PATHS)
        for (let i = 0; i < COUNTS.length; i++) {
          const url = `${dps[i].proxyUrl}${path}`;
          wrk(url, 8, script, '1s'); // warm-up
          const pid = dps[i].proc.child.pid!;
          const before = treeCpu(pid);
          const r = wrk(url, 32, script);
          const key = `${label}|${COUNTS[i]}`;
          rps.set(key, [...(rps.get(key) ?? []), r.rps]);
          cpu.set(key, [...(cpu.get(key) ?? []), (treeCpu(pid) - before) / r.requests]);
          process.stderr.write(`${label}, ${COUNTS[i]} worker(s): ${Math.round(r.rps)} req/s\n`);
        }
    const rows = [
      '| path | workers | 32 conns req/s (median) | vs 1 worker | data-plane CPU µs/request |',
      '|---|---|---|---|---|',
    ];
    for (const [label] of PATHS) {
      const one = median(rps.get(`${label}|${COUNTS[0]}`)!);
      for (const n of COUNTS) {
        const r = median(rps.get(`${label}|${n}`)!);
        rows.push(
          `| ${label} | ${n} | ${Math.round(r).toLocaleString('en-US')} | ${(r / one).toFixed(2)}× | ${Math.round(median(cpu.get(`${label}|${n}`)!))} |`,
        );
      }
    }
    return `${rows.join('\n')}\n\nwrk -t1 at 32 connections, median of ${ROUNDS} interleaved rounds; wrk, nginx, the control plane and the data planes share the machine's cores.`;
  } finally {
    for (const d of dps) await d.proc.stop('SIGKILL').catch(() => undefined);
    await cp?.proc.stop('SIGKILL').catch(() => undefined);
    nginx.kill('SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  }
}
