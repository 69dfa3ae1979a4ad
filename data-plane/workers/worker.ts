/**
 * One worker of a multi-process data plane: proxies on the shared listeners with its own
 * compiled config, upstream pools and analytics spool (`<data dir>/analytics/worker-<i>`). The
 * primary holds the cluster link: snapshots arrive here in two steps (prepare, then commit once
 * every worker compiled), so all workers switch to a version together or none does.
 */
import { join } from 'node:path';
import { decodeSnapshotText } from '../../shared/snapshot';
import { AggregatorRegistry } from 'prom-client';
import { AnalyticsSpool } from '../analytics/spool';
import { spoolDir } from '../analytics/spool-dirs';
import { createServing } from '../serving';
import type { CompiledConfig } from '../runtime/compiled-config';
import type { DataPlaneOptions } from '../options';
import type { FromWorker, ToWorker } from './messages';

export async function runWorker(options: DataPlaneOptions, index: number, nodeId: string): Promise<void> {
  const log = (line: string) => void process.stderr.write(`[data-plane worker ${index}] ${line}\n`);
  const send = (m: FromWorker) => {
    if (process.connected) process.send!(m);
  };
  let linkUp = false;
  const analytics = new AnalyticsSpool({
    dir: spoolDir(join(options.dataDir, 'analytics'), index),
    send: (text) => {
      if (!linkUp || !process.connected) return false;
      send({ t: 'analytics', text });
      return true;
    },
    log,
  });
  const serving = createServing(options, {
    nodeId,
    log,
    analytics: (r) => analytics.record(r),
    reports: (kind, data) => analytics.report(kind, data),
  });
  // The primary's /metrics asks every worker's registry (prom-client's cluster protocol; its
  // worker-side listener is installed by constructing an AggregatorRegistry).
  AggregatorRegistry.setRegistries([serving.metrics.registry]);
  new AggregatorRegistry();
  analytics.start();

  const prepared = new Map<number, CompiledConfig>();
  let listening = false;
  const listen = async () => {
    if (listening) return;
    listening = true;
    send({ t: 'listening', ...(await serving.listen()) });
  };
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // Drain the listeners first (their last requests still record), then seal what is buffered
    // onto disk: a restarted data plane sends it.
    await serving.close().catch(() => undefined);
    await analytics.stop().catch(() => undefined);
    process.exit(0);
  };

  process.on('message', (m: ToWorker) => {
    switch (m?.t) {
      case 'prepare':
        try {
          prepared.set(m.seq, serving.prepare(decodeSnapshotText(m.text)));
          send({ t: 'prepared', seq: m.seq });
        } catch (err) {
          send({ t: 'prepared', seq: m.seq, error: (err as Error).message });
        }
        return;
      case 'commit': {
        const compiled = prepared.get(m.seq);
        for (const s of prepared.keys()) if (s <= m.seq) prepared.delete(s);
        if (compiled) {
          serving.swap(compiled);
          serving.metrics.configVersion.set(compiled.version);
        }
        void listen();
        return;
      }
      case 'abort':
        prepared.delete(m.seq);
        return;
      case 'start':
        void listen();
        return;
      case 'link':
        linkUp = m.connected;
        serving.metrics.cpConnected.set(m.connected ? 1 : 0);
        analytics.setConnected(m.connected);
        return;
      case 'analytics_ack':
        analytics.ack(m.batchId);
        return;
      case 'plugin_state':
        serving.runtime.setClusterState(m.kind, m.state);
        return;
      case 'stats':
        send({
          t: 'stats',
          seq: m.seq,
          stats: {
            index,
            pid: process.pid,
            config_version: serving.holder.current?.version ?? 0,
            config_hash: serving.holder.current?.hash ?? '',
            analytics: analytics.stats(),
            event_loop: serving.metrics.eventLoop(),
            rss: process.memoryUsage.rss(),
            heap_used: process.memoryUsage().heapUsed,
          },
        });
        return;
    }
  });
  // The primary is gone (even SIGKILLed): the IPC channel closes.
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}
