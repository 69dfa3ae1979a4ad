/** The program of a data-plane worker process (forked by workers/primary.ts). */
import { dataPlaneOptionsFromEnv } from '../options';
import { runWorker } from './worker';

const index = Number(process.env.TOLLGATE_DP_WORKER_INDEX);
const options = dataPlaneOptionsFromEnv();
runWorker(options, index, options.nodeId).catch((err) => {
  process.stderr.write(`[data-plane worker ${index}] ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
