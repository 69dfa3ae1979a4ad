/**
 * Config propagation: Admin API write returns → every data plane has applied (and is about to
 * ack) the new hash. Real processes: one control plane on Postgres, N data planes.
 *
 *   npm run bench -- propagation            (uses DATABASE_URL or the local Postgres)
 */
import { gzipSync } from 'node:zlib';
import { startCpProcess, startDpProcess, waitFor, type DpProcess } from '../test/helpers/topology';
import { adminClient } from '../test/helpers/http';
import { withScratchDatabase } from '../test/helpers/control-plane';

const PG = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const WRITES = Number(process.env.BENCH_WRITES ?? 40);

function pct(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Resolves when `dp` prints that it applied `version`. */
function applied(dp: DpProcess, version: number): Promise<number> {
  const re = new RegExp(`applied config version ${version} `);
  return dp.proc.waitFor(re, 60000).then(() => performance.now());
}

async function seed(api: ReturnType<typeof adminClient>, entities: number) {
  // half services, half routes (one route per service)
  const pairs = Math.floor(entities / 2);
  const batch = 16;
  for (let i = 0; i < pairs; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, pairs - i) }, async (_, j) => {
        const n = i + j;
        await api('POST', '/services', { name: `s${n}`, url: `http://127.0.0.1:9/${n}` });
        await api('POST', `/services/s${n}/routes`, { name: `r${n}`, paths: [`/r${n}`] });
      }),
    );
  }
}

export async function benchPropagation(): Promise<string> {
  const lines: string[] = [];
  lines.push(
    '| data planes | config size (entities) | writes | p50 ms | p99 ms | max ms | snapshot gzip KB |',
  );
  lines.push('|---|---|---|---|---|---|---|');
  for (const entities of [10, 10000]) {
    await withScratchDatabase(PG, async (databaseUrl) => {
      const cp = await startCpProcess({ databaseUrl });
      const api = adminClient(cp.adminUrl);
      await seed(api, entities);
      for (const count of [1, 5, 10]) {
        const dps = await Promise.all(
          Array.from({ length: count }, () => startDpProcess({ cpUrl: cp.clusterUrl })),
        );
        const current = (await api('GET', '/config')).body;
        await waitFor(
          'initial sync',
          async () =>
            dps.every((d) => d.proc.output().includes(`applied config version ${current.version} `)),
          60000,
        );
        const samples: number[] = [];
        for (let i = 0; i < WRITES; i++) {
          const before = (await api('GET', '/config')).body.version as number;
          const waits = dps.map((d) => applied(d, before + 1));
          const t0 = performance.now();
          const r = await api('POST', '/consumers', { username: `u-${count}-${entities}-${i}` });
          const t1 = performance.now();
          if (r.status !== 201) throw new Error(r.text);
          const done = Math.max(...(await Promise.all(waits)));
          samples.push(Math.max(0, done - t1));
          void t0;
        }
        const configText = (await api('GET', '/config')).text;
        const sizeKb = Buffer.byteLength(configText) / 1024;
        const gzKb = gzipSync(configText, { level: 1 }).length / 1024;
        samples.sort((a, b) => a - b);
        lines.push(
          `| ${count} | ${entities} | ${WRITES} | ${pct(samples, 50).toFixed(1)} | ${pct(samples, 99).toFixed(1)} | ${samples[samples.length - 1].toFixed(1)} | ${Math.round(gzKb)} (JSON ${Math.round(sizeKb)}) |`,
        );
        process.stderr.write(`${lines[lines.length - 1]}\n`);
        await Promise.all(dps.map((d) => d.proc.stop('SIGKILL')));
      }
      await cp.proc.stop('SIGKILL');
    });
  }
  return lines.join('\n');
}
