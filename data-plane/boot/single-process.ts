/**
 * The engine of a data plane in one process: one Serving (compiled config, handlers, pools,
 * listeners) and one analytics outbox.
 */
import { join } from 'node:path';
import type { AnalyticsRecord } from '../../shared/analytics/record';
import { AnalyticsSpool } from '../analytics/spool';
import { adoptOrphanBatches } from '../analytics/spool-dirs';
import { createServing, type Serving } from '../serving';
import type { DataPlaneOptions } from '../options';
import type { NodeEngine, NodeLink } from './node-engine';

export interface SingleProcessEngine extends NodeEngine {
  serving: Serving;
  spool: AnalyticsSpool;
}

export function singleProcessEngine(
  options: DataPlaneOptions,
  nodeId: string,
  link: NodeLink,
  log: (line: string) => void,
): SingleProcessEngine {
  // Analytics leave the request path into an outbox that survives restarts.
  const analyticsDir = join(options.dataDir, 'analytics');
  adoptOrphanBatches(analyticsDir, 1, analyticsDir);
  const spool = new AnalyticsSpool({ dir: analyticsDir, send: (text) => link.sendText(text), log });
  const serving = createServing(options, {
    nodeId,
    log,
    analytics: (records: AnalyticsRecord[]) => spool.record(records),
    reports: (kind, data) => spool.report(kind, data),
  });
  return {
    serving,
    spool,
    plugins: serving.available.map((p) => ({ name: p.name, version: p.version })),
    running: () => serving.holder.current,
    async start(cached) {
      let cacheProblem: string | undefined;
      if (cached)
        try {
          await serving.resolve(cached);
          serving.swap(serving.prepare(cached));
        } catch (err) {
          cacheProblem = `cached config not applicable: ${(err as Error).message}`;
        }
      spool.start();
      serving.balancers.onReport((r) => link.reportTargetHealth(r));
      return { ...(await serving.listen()), cacheProblem };
    },
    async apply(snapshot) {
      await serving.resolve(snapshot);
      serving.swap(serving.prepare(snapshot));
    },
    linkChanged: (connected) => spool.setConnected(connected),
    analyticsAcked: (id) => spool.ack(id),
    pluginState: (kind, state) => serving.runtime.setClusterState(kind, state),
    setTargetHealth: (upstreamId, target, healthy, address) =>
      serving.balancers.setHealth(upstreamId, target, healthy, address),
    analytics: async () => spool.stats(),
    status: { metrics: serving.metrics, lastApplyError: () => serving.lastApplyError },
    async close() {
      // Drain the listeners first (their last requests still record), then seal the outbox.
      await serving.close();
      await spool.stop();
    },
  };
}
