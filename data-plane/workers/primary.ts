/**
 * The primary process of a multi-process data plane (TOLLGATE_DP_WORKERS > 1): the node's one
 * cluster link, config cache and status listener (the boot sequence every data plane has,
 * boot/data-plane-node.ts), over N workers that share the proxy listeners (node:cluster hands
 * connections out round-robin). Snapshots reach the workers through the apply coordinator (all
 * or none); a worker that dies is started again with the current config.
 */
import { withDataDirLock } from '../../shared/data-dir-lock';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AggregatorRegistry } from 'prom-client';
import { PLUGIN_LIST } from '../../shared/plugins/registry';
import { ProxyMetrics } from '../status/metrics';
import type { SpoolStats } from '../analytics/spool';
import { adoptOrphanBatches, spoolDir } from '../analytics/spool-dirs';
import { loadOrCreateCertificate } from '../proxy/tls-certificate';
import type { DataPlaneOptions } from '../options';
import { bootNode, prepareNode } from '../boot/data-plane-node';
import type { NodeEngine, NodeLink, ProxyUrls } from '../boot/node-engine';
import type { FromWorker, WorkerStats } from './messages';
import { WorkerPool } from './worker-pool';
import { ApplyCoordinator } from './apply-coordinator';
import { WorkersHealth } from '../balancer/merged-health';

export interface RunningPrimary extends ProxyUrls {
  nodeId: string;
  statusUrl: string;
  close(): Promise<void>;
}

export function runPrimary(
  options: DataPlaneOptions,
  workerCount: number,
  log = (line: string): void => void process.stderr.write(`[data-plane] ${line}\n`),
): Promise<RunningPrimary> {
  return withDataDirLock(options.dataDir, 'data-plane', async () => {
    const nodeId = prepareNode(options);
    const analyticsDir = join(options.dataDir, 'analytics');
    adoptOrphanBatches(analyticsDir, workerCount, spoolDir(analyticsDir, 1));
    // One certificate for every worker (each would otherwise make its own).
    if (options.proxySslListen) await loadOrCreateCertificate(options.dataDir);
    const node = await bootNode(
      options,
      nodeId,
      (link) => workersEngine(options, nodeId, workerCount, link, log),
      log,
    );
    return {
      nodeId,
      proxyUrl: node.proxyUrl,
      proxySslUrl: node.proxySslUrl,
      statusUrl: node.statusUrl,
      close: node.close,
    };
  });
}

/**
 * Sessions the workers seal (MCP servers the gateway serves) open on every worker. (Same
 * fallback as a single process: the cluster token, which every data plane shares.)
 */
function sessionSecret(): string {
  return (
    process.env.TOLLGATE_MCP_SESSION_SECRET ||
    process.env.TOLLGATE_CLUSTER_TOKEN ||
    randomBytes(32).toString('base64url')
  );
}

function workersEngine(
  options: DataPlaneOptions,
  nodeId: string,
  workerCount: number,
  link: NodeLink,
  log: (line: string) => void,
): NodeEngine {
  const metrics = new ProxyMetrics();
  const aggregator = new AggregatorRegistry();
  let lastApplyError: string | undefined;
  const listening = new Map<number, Extract<FromWorker, { t: 'listening' }>>();
  let allListening: () => void;
  const everyoneListening = new Promise<void>((resolve) => (allListening = resolve));
  const health = new WorkersHealth((report) => link.reportTargetHealth(report));
  const pool: WorkerPool = new WorkerPool(
    { TOLLGATE_NODE_ID: nodeId, TOLLGATE_MCP_SESSION_SECRET: sessionSecret() },
    {
      online(w, index) {
        pool.send(w, { t: 'link', connected: link.connected });
        for (const [kind, state] of link.pluginStates()) pool.send(w, { t: 'plugin_state', kind, state });
        coordinator.admit(w).catch((err) => {
          // Never serve without the config the others serve: replaced (the pool forks anew).
          log(`worker ${index} cannot apply the current config: ${(err as Error).message}`);
          w.process.kill('SIGKILL');
        });
      },
      message(m, index) {
        if (m.t === 'listening') {
          listening.set(index, m);
          if (listening.size === workerCount) allListening();
        } else if (m.t === 'analytics')
          link.sendText(Buffer.from(m.text.buffer, m.text.byteOffset, m.text.byteLength));
        else if (m.t === 'target_health') health.set(index, m.report);
      },
      exited: (w) => coordinator.forget(w),
    },
    log,
  );
  const coordinator = new ApplyCoordinator(pool);

  const workerStats = () => statsOf(pool);

  return {
    plugins: pluginsOf(options),
    running: () => coordinator.current,
    async start(cached) {
      // The workers serve the cached config as they start (checked by each).
      coordinator.current = cached;
      for (let i = 1; i <= workerCount; i++) pool.fork(i);
      await everyoneListening;
      const first = listening.get(1)!;
      return { proxyUrl: first.proxyUrl, proxySslUrl: first.proxySslUrl };
    },
    async apply(snapshot) {
      try {
        await coordinator.apply(snapshot);
        lastApplyError = undefined;
      } catch (err) {
        lastApplyError = (err as Error).message;
        metrics.applyFailures.inc();
        throw err;
      }
    },
    linkChanged: (connected) => pool.broadcast({ t: 'link', connected }),
    analyticsAcked: (batchId) => pool.broadcast({ t: 'analytics_ack', batchId }),
    pluginState: (kind, state) => pool.broadcast({ t: 'plugin_state', kind, state }),
    setTargetHealth: (upstreamId, target, healthy, address) =>
      pool.broadcast({ t: 'set_target_health', upstreamId, target, healthy, address }),
    analytics: async () => sumSpools((await workerStats()).map((s) => s.analytics)),
    status: {
      metrics,
      lastApplyError: () => lastApplyError,
      process: async () => processStats(await workerStats()),
      metricsText: () => aggregator.clusterMetrics(),
    },
    async close() {
      await pool.stop();
      metrics.stop();
    },
  };
}

/** Every worker's own figures (a worker that does not answer within 2 s is left out). */
async function statsOf(pool: WorkerPool): Promise<WorkerStats[]> {
  const answers = await Promise.all(
    pool.all().map((w) =>
      pool
        .ask<Extract<FromWorker, { t: 'stats' }>>(w, { t: 'stats', seq: pool.nextSeq() }, 2000)
        .then((a) => a.stats)
        .catch(() => null),
    ),
  );
  return answers.filter((s): s is WorkerStats => s !== null);
}

/** The plugins the workers run (bundled, narrowed by TOLLGATE_PLUGINS). */
function pluginsOf(options: DataPlaneOptions) {
  return PLUGIN_LIST.filter((p) => !options.plugins || options.plugins.includes(p.name)).map((p) => ({
    name: p.name,
    version: p.version,
  }));
}

/** Every worker's spool, summed. */
function sumSpools(all: SpoolStats[]): SpoolStats {
  const sum = {} as SpoolStats;
  for (const key of Object.keys(all[0] ?? {}) as (keyof SpoolStats)[])
    sum[key] = all.reduce((n, s) => n + s[key], 0);
  return sum;
}

/** The primary and its workers as one process, for the status listener. */
function processStats(all: WorkerStats[]) {
  const max = (f: (s: WorkerStats) => number) => Math.max(0, ...all.map(f));
  return {
    event_loop: {
      p50_ms: max((s) => s.event_loop.p50_ms),
      p99_ms: max((s) => s.event_loop.p99_ms),
      max_ms: max((s) => s.event_loop.max_ms),
    },
    rss: process.memoryUsage.rss() + all.reduce((n, s) => n + s.rss, 0),
    heap_used: process.memoryUsage().heapUsed + all.reduce((n, s) => n + s.heap_used, 0),
    workers: all
      .map(({ index, pid, config_version, config_hash, event_loop }) => ({
        index,
        pid,
        config_version,
        config_hash,
        event_loop,
      }))
      .sort((a, b) => a.index - b.index),
  };
}
