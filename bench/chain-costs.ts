/**
 * What each plugin of the seed's GitHub chain costs: routes that add the chain's plugins one at
 * a time (their config copied from the seed as `tollgate sync` applied it), each measured for
 * data-plane and control-plane CPU per request at 32 connections. One data plane with one
 * worker, so its CPU is one process's; rounds interleaved, medians reported, since this VM's
 * speed drifts by tens of percent within minutes while the differences between steps do not.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { adminClient } from '../test/helpers/http';
import { startCpProcess, startDpProcess, waitConverged } from '../test/helpers/topology';
import { cannedBench, configure, median, wrk } from './proxy';
import { settle, treeCpu } from './process-tree';

const ROUNDS = Number(process.env.BENCH_CHAIN_ROUNDS ?? 3);
const SHAPE = process.env.BENCH_CHAIN_SHAPE ?? 'json-1k';

type Plugin = { name: string; config: Record<string, any>; ordering?: unknown };

/** Each step: its label and the seed's plugins it has (by name), with config changes. */
const STEPS: { label: string; plugins: string[]; logging?: Record<string, boolean> }[] = [
  { label: 'route without plugins', plugins: [] },
  { label: '+ key-auth', plugins: ['key-auth'] },
  {
    label: '+ ai-mcp-proxy ACLs, no logging',
    plugins: ['key-auth', 'ai-mcp-proxy'],
    logging: { log_payloads: false, log_statistics: false },
  },
  {
    label: '+ log_statistics',
    plugins: ['key-auth', 'ai-mcp-proxy'],
    logging: { log_payloads: false, log_statistics: true },
  },
  { label: '+ log_payloads', plugins: ['key-auth', 'ai-mcp-proxy'] },
  { label: '+ datakit', plugins: ['datakit', 'key-auth', 'ai-mcp-proxy'] },
  { label: '+ cors: the seed chain', plugins: ['datakit', 'key-auth', 'ai-mcp-proxy', 'cors'] },
];

export async function benchChainCosts(): Promise<string> {
  const { dir, script, upPort, nginx } = await cannedBench('chain');
  let cp: Awaited<ReturnType<typeof startCpProcess>> | undefined;
  let dp: Awaited<ReturnType<typeof startDpProcess>> | undefined;
  try {
    cp = await startCpProcess({ dataDir: join(dir, 'cp') });
    await configure(cp.adminUrl, upPort, dir);
    const api = adminClient(cp.adminUrl);
    const seeded = (await api('GET', '/routes/github-mcp/plugins')).body.data as Plugin[];
    const seedPlugin = (name: string) => {
      const p = seeded.find((x) => x.name === name);
      if (!p) throw new Error(`the seed's route has no ${name} plugin`);
      return p;
    };
    for (const [i, step] of STEPS.entries()) {
      if (!step.plugins.length) continue;
      const route = `chain-step-${i}`;
      const made = await api('POST', '/services/bench/routes', { name: route, paths: [`/${route}`] });
      if (made.status !== 201) throw new Error(`route ${route}: ${made.text}`);
      for (const name of step.plugins) {
        const { config, ordering } = seedPlugin(name);
        const body: Record<string, unknown> = {
          name,
          config:
            name === 'ai-mcp-proxy' && step.logging
              ? { ...config, logging: { ...config.logging, ...step.logging } }
              : config,
        };
        if (ordering) body.ordering = ordering;
        const r = await api('POST', `/routes/${route}/plugins`, body);
        if (r.status !== 201) throw new Error(`${name} on ${route}: ${r.text}`);
      }
    }
    const hash = (await api('GET', '/config')).body.hash as string;
    dp = await startDpProcess({ cpUrl: cp.clusterUrl, env: { TOLLGATE_DP_WORKERS: '1' } });
    await waitConverged([dp], hash);

    const paths = STEPS.map((s, i) => (s.plugins.length ? `/chain-step-${i}/${SHAPE}` : `/bare/${SHAPE}`));
    const dpCpu = STEPS.map(() => [] as number[]);
    const cpCpu = STEPS.map(() => [] as number[]);
    const rps = STEPS.map(() => [] as number[]);
    for (let round = 0; round < ROUNDS; round++)
      for (let i = 0; i < STEPS.length; i++) {
        const url = `${dp.proxyUrl}${paths[i]}`;
        wrk(url, 8, script, '1s'); // warm-up
        await settle([dp.proc.child.pid!, cp.proc.child.pid!]); // its analytics are not the run's
        const dp0 = treeCpu(dp.proc.child.pid!);
        const cp0 = treeCpu(cp.proc.child.pid!);
        const r = wrk(url, 32, script);
        // Records of the last 250 ms (or a backlog) reach the control plane after wrk stops.
        await settle([dp.proc.child.pid!, cp.proc.child.pid!]);
        dpCpu[i].push((treeCpu(dp.proc.child.pid!) - dp0) / r.requests);
        cpCpu[i].push((treeCpu(cp.proc.child.pid!) - cp0) / r.requests);
        rps[i].push(r.rps);
        process.stderr.write(`${STEPS[i].label}: ${Math.round(r.rps)} req/s\n`);
      }
    const rows = [
      `| ${SHAPE}, one worker | 32 conns req/s (median) | DP CPU µs/request | step's DP cost | CP CPU µs/request (analytics ingest) |`,
      '|---|---|---|---|---|',
    ];
    let previous = 0;
    for (let i = 0; i < STEPS.length; i++) {
      const d = median(dpCpu[i]);
      rows.push(
        `| ${STEPS[i].label} | ${Math.round(median(rps[i])).toLocaleString('en-US')} | ${Math.round(d)} | ${i ? `${d - previous >= 0 ? '+' : ''}${Math.round(d - previous)}` : ''} | ${Math.round(median(cpCpu[i]))} |`,
      );
      previous = d;
    }
    return `${rows.join('\n')}\n\nwrk -t1 at 32 connections, median of ${ROUNDS} interleaved rounds; one data plane with TOLLGATE_DP_WORKERS=1; its control plane on the embedded database; everything on the machine's cores.`;
  } finally {
    await dp?.proc.stop('SIGKILL').catch(() => undefined);
    await cp?.proc.stop('SIGKILL').catch(() => undefined);
    nginx.kill('SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  }
}
