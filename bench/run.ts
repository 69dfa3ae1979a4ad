/**
 * `npm run bench [-- name…]`: runs the benchmarks and prints Markdown tables for BENCHMARKS.md.
 */
import { cpus, totalmem } from 'node:os';
import { benchPropagation } from './propagation';
import { benchDpApply } from './dp-apply';
import { benchDeckSync } from './deck-sync';
import { benchProxy } from './proxy';
import { benchAnalytics } from './analytics';
import { benchMemory } from './memory';
import { benchWorkers } from './workers';
import { benchChainCosts } from './chain-costs';

// The servers a benchmark starts open no console (they would all want port 8002), as in tests.
process.env.TOLLGATE_CONSOLE_LISTEN ??= 'off';
// nginx runs with `access_log off`: so does Tollgate, for the same work side by side.
process.env.TOLLGATE_PROXY_ACCESS_LOG ??= 'off';
process.env.TOLLGATE_ADMIN_ACCESS_LOG ??= 'off';

const BENCHES: Record<string, () => Promise<string>> = {
  'dp-apply': benchDpApply,
  propagation: benchPropagation,
  'deck-sync': benchDeckSync,
  proxy: benchProxy,
  analytics: benchAnalytics,
  memory: benchMemory,
  workers: benchWorkers,
  'chain-costs': benchChainCosts,
};

async function main() {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = wanted.length ? wanted : Object.keys(BENCHES);
  const header = `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString()}`;
  process.stdout.write(`${header}\n\n`);
  for (const name of names) {
    const fn = BENCHES[name];
    if (!fn) throw new Error(`unknown benchmark '${name}' (have: ${Object.keys(BENCHES).join(', ')})`);
    process.stdout.write(`### ${name}\n\n${await fn()}\n\n`);
  }
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
