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
import { createServing, type Serving } from '../serving';
import type { CompiledConfig } from '../runtime/compiled-config';
import type { DataPlaneOptions } from '../options';
import type { FromWorker, ToWorker, WorkerStats } from './messages';

class WorkerProcess {
  readonly analytics: AnalyticsSpool;
  readonly serving: Serving;
  private readonly prepared = new Map<number, CompiledConfig>();
  private linkUp = false;
  private listening = false;
  private stopping = false;

  constructor(
    options: DataPlaneOptions,
    private readonly index: number,
    nodeId: string,
    log: (line: string) => void,
  ) {
    this.analytics = new AnalyticsSpool({
      dir: spoolDir(join(options.dataDir, 'analytics'), index),
      send: (text) => {
        if (!this.linkUp || !process.connected) return false;
        this.send({ t: 'analytics', text });
        return true;
      },
      log,
    });
    this.serving = createServing(options, {
      nodeId,
      log,
      analytics: (r) => this.analytics.record(r),
      reports: (kind, data) => this.analytics.report(kind, data),
    });
    // The primary's /metrics asks every worker's registry (prom-client's cluster protocol; its
    // worker-side listener is installed by constructing an AggregatorRegistry).
    AggregatorRegistry.setRegistries([this.serving.metrics.registry]);
    new AggregatorRegistry();
    this.analytics.start();
    this.serving.balancers.onReport((report) => this.send({ t: 'target_health', report }));
  }

  send(m: FromWorker): void {
    if (process.connected) process.send!(m);
  }

  private async listen(): Promise<void> {
    if (this.listening) return;
    this.listening = true;
    this.send({ t: 'listening', ...(await this.serving.listen()) });
  }

  /** Drain the listeners first (their last requests still record), then seal the outbox. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.serving.close().catch(() => undefined);
    await this.analytics.stop().catch(() => undefined);
    process.exit(0);
  }

  private async prepare(seq: number, text: string): Promise<void> {
    try {
      const snapshot = decodeSnapshotText(text);
      await this.serving.resolve(snapshot);
      this.prepared.set(seq, this.serving.prepare(snapshot));
      this.send({ t: 'prepared', seq });
    } catch (err) {
      this.send({ t: 'prepared', seq, error: (err as Error).message });
    }
  }

  private commit(seq: number): void {
    const compiled = this.prepared.get(seq);
    for (const s of this.prepared.keys()) if (s <= seq) this.prepared.delete(s);
    if (compiled) {
      this.serving.swap(compiled);
      this.serving.metrics.configVersion.set(compiled.version);
    }
    void this.listen();
  }

  private stats(): WorkerStats {
    const { serving } = this;
    return {
      index: this.index,
      pid: process.pid,
      config_version: serving.holder.current?.version ?? 0,
      config_hash: serving.holder.current?.hash ?? '',
      analytics: this.analytics.stats(),
      event_loop: serving.metrics.eventLoop(),
      rss: process.memoryUsage.rss(),
      heap_used: process.memoryUsage().heapUsed,
    };
  }

  onMessage(m: ToWorker): void {
    switch (m?.t) {
      case 'prepare':
        void this.prepare(m.seq, m.text);
        return;
      case 'commit':
        return this.commit(m.seq);
      case 'abort':
        this.prepared.delete(m.seq);
        return;
      case 'start':
        void this.listen();
        return;
      case 'link':
        this.linkUp = m.connected;
        this.serving.metrics.cpConnected.set(m.connected ? 1 : 0);
        this.analytics.setConnected(m.connected);
        return;
      case 'analytics_ack':
        this.analytics.ack(m.batchId);
        return;
      case 'plugin_state':
        this.serving.runtime.setClusterState(m.kind, m.state);
        return;
      case 'set_target_health':
        this.serving.balancers.setHealth(m.upstreamId, m.target, m.healthy, m.address);
        return;
      case 'stats':
        this.send({ t: 'stats', seq: m.seq, stats: this.stats() });
        return;
    }
  }
}

export async function runWorker(options: DataPlaneOptions, index: number, nodeId: string): Promise<void> {
  const log = (line: string) => void process.stderr.write(`[data-plane worker ${index}] ${line}\n`);
  const worker = new WorkerProcess(options, index, nodeId, log);
  process.on('message', (m: ToWorker) => worker.onMessage(m));
  // The primary is gone (even SIGKILLed): the IPC channel closes.
  process.on('disconnect', () => void worker.stop());
  process.on('SIGTERM', () => void worker.stop());
  process.on('SIGINT', () => void worker.stop());
}
