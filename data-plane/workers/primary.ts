/**
 * The primary process of a multi-process data plane (TOLLGATE_DP_WORKERS > 1): it holds the one
 * cluster link, the config cache and the status listener, and runs N workers that share the
 * proxy listeners (node:cluster hands connections out round-robin). A snapshot is applied in two
 * steps: every worker compiles it (prepare); only when all succeeded do they all serve it
 * (commit) and is it acknowledged to the control plane, so the workers never serve different
 * versions and an apply error keeps every one on the previous config. A worker that dies is
 * started again with the current config.
 */
import { withDataDirLock } from '../../shared/data-dir-lock';
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { AggregatorRegistry } from 'prom-client';
import { ensurePrivateDir } from '../../shared/private-files';
import { encodeSnapshotText, type Snapshot } from '../../shared/snapshot';
import { PLUGIN_LIST } from '../../shared/plugins/registry';
import { formatListen } from '../../shared/listen';
import { ConfigCache } from '../clustering/config-cache';
import { CpLink } from '../clustering/cp-link';
import { hostNamesFor } from '../../shared/http/host-names';
import { buildStatusServer } from '../status/status-server';
import { ProxyMetrics } from '../status/metrics';
import type { SpoolStats } from '../analytics/spool';
import { adoptOrphanBatches, spoolDir } from '../analytics/spool-dirs';
import { loadOrCreateCertificate } from '../proxy/tls-certificate';
import type { DataPlaneOptions } from '../options';
import { nodeIdFor } from '../main';
import type { FromWorker, ToWorker, WorkerStats } from './messages';

const PREPARE_TIMEOUT_MS = 60_000;

export interface RunningPrimary {
  nodeId: string;
  proxyUrl: string;
  proxySslUrl?: string;
  statusUrl: string;
  close(): Promise<void>;
}

export function runPrimary(
  options: DataPlaneOptions,
  workerCount: number,
  log = (line: string): void => void process.stderr.write(`[data-plane] ${line}\n`),
): Promise<RunningPrimary> {
  return withDataDirLock(options.dataDir, 'data-plane', () => startPrimary(options, workerCount, log));
}

async function startPrimary(
  options: DataPlaneOptions,
  workerCount: number,
  log: (line: string) => void,
): Promise<RunningPrimary> {
  ensurePrivateDir(options.dataDir);
  const nodeId = nodeIdFor(options.dataDir, options.nodeId);
  const analyticsDir = join(options.dataDir, 'analytics');
  adoptOrphanBatches(analyticsDir, workerCount, spoolDir(analyticsDir, 1));
  // One certificate for every worker (each would otherwise make its own).
  if (options.proxySslListen) await loadOrCreateCertificate(options.dataDir);
  const cache = new ConfigCache(options.dataDir);
  const metrics = new ProxyMetrics();
  const aggregator = new AggregatorRegistry();
  let current: Snapshot | null = null;
  let cacheProblem: string | undefined;
  let lastApplyError: string | undefined;
  let stopping = false;
  let seq = 0;
  const workers = new Map<number, Worker>();
  /** Answers awaited, by `<worker id>:<seq>` (one round asks every worker with the same seq). */
  const pending = new Map<string, { resolve: (m: FromWorker) => void; reject: (e: Error) => void }>();
  /** Workers that serve (their first config applied, or started without one): rounds target them. */
  const ready = new Set<Worker>();
  /** Apply rounds run one at a time: a worker never holds two prepared configs at once. */
  let rounds: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = rounds.then(fn);
    rounds = run.catch(() => undefined);
    return run;
  };

  // A worker can die between the check and the write: with a callback, a write to its closed
  // channel is an error passed here, not an 'error' event that would take the primary down.
  const sendTo = (w: Worker, m: ToWorker) => {
    if (w.isConnected()) w.send(m, undefined, undefined, () => undefined);
  };
  const broadcast = (m: ToWorker) => {
    for (const w of workers.values()) sendTo(w, m);
  };
  /** Ask a worker and wait for the answer with the same seq (or time out). */
  const ask = <T extends FromWorker>(w: Worker, m: ToWorker & { seq: number }, timeoutMs: number) =>
    new Promise<T>((resolve, reject) => {
      if (!w.isConnected()) return reject(new Error(`worker ${w.id} is gone`));
      const key = `${w.id}:${m.seq}`;
      const timer = setTimeout(() => {
        pending.delete(key);
        reject(new Error(`worker ${w.id} did not answer ${m.t} within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(key, {
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer as T);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      sendTo(w, m);
    });

  /** Two-phase apply across `targets`: all compile, then all serve; or none serves. */
  const applyTo = async (targets: Worker[], snapshot: Snapshot) => {
    const text = encodeSnapshotText(
      snapshot.version,
      snapshot.hash,
      snapshot.canonical ?? JSON.stringify(snapshot.config),
    );
    const round = ++seq;
    const answers = await Promise.all(
      targets.map((w) =>
        ask<Extract<FromWorker, { t: 'prepared' }>>(
          w,
          { t: 'prepare', seq: round, text },
          PREPARE_TIMEOUT_MS,
        ).catch((err: Error) => ({ t: 'prepared' as const, seq: round, error: err.message })),
      ),
    );
    const failed = answers.find((a) => a.error);
    if (failed) {
      for (const w of targets) sendTo(w, { t: 'abort', seq: round });
      throw new Error(failed.error);
    }
    for (const w of targets) sendTo(w, { t: 'commit', seq: round });
  };

  const listening = new Map<number, Extract<FromWorker, { t: 'listening' }>>();
  let allListening: () => void;
  const everyoneListening = new Promise<void>((resolve) => (allListening = resolve));
  // Assigned once the workers listen; their message handlers read it.
  // eslint-disable-next-line prefer-const
  let link: CpLink | undefined;

  // Sessions the workers seal (MCP servers the gateway serves) open on every worker.
  // (Same fallback as a single process: the cluster token, which every data plane shares.)
  const sessionSecret =
    process.env.TOLLGATE_MCP_SESSION_SECRET ||
    process.env.TOLLGATE_CLUSTER_TOKEN ||
    randomBytes(32).toString('base64url');
  const fork = (index: number) => {
    const w = cluster.fork({
      TOLLGATE_DP_WORKER_INDEX: String(index),
      TOLLGATE_NODE_ID: nodeId,
      TOLLGATE_MCP_SESSION_SECRET: sessionSecret,
    });
    workers.set(index, w);
    // The exit handler replaces it; an IPC error on the way out is not the primary's end.
    w.on('error', (err) => log(`worker ${index}: ${err.message}`));
    w.on('message', (m: FromWorker) => {
      switch (m?.t) {
        case 'prepared':
        case 'stats': {
          const key = `${w.id}:${m.seq}`;
          pending.get(key)?.resolve(m);
          pending.delete(key);
          return;
        }
        case 'listening':
          listening.set(index, m);
          if (listening.size === workerCount) allListening();
          return;
        case 'analytics':
          link?.sendText(Buffer.from(m.text.buffer, m.text.byteOffset, m.text.byteLength));
          return;
      }
    });
    w.once('online', () => {
      sendTo(w, { t: 'link', connected: link?.connected ?? false });
      for (const [kind, { state }] of link?.pluginStates ?? []) sendTo(w, { t: 'plugin_state', kind, state });
      // A new worker serves the current config (as of its turn) before it takes connections.
      void inTurn(async () => {
        if (!current) sendTo(w, { t: 'start' });
        else await applyTo([w], current);
        ready.add(w);
      }).catch((err) => {
        // Never serve without the config the others serve: replaced (the exit handler forks anew).
        log(`worker ${index} cannot apply the current config: ${(err as Error).message}`);
        w.process.kill('SIGKILL');
      });
    });
    w.once('exit', (code, signal) => {
      ready.delete(w);
      // Its unanswered questions fail now, not after their timeout.
      for (const [key, p] of pending)
        if (key.startsWith(`${w.id}:`)) {
          pending.delete(key);
          p.reject(new Error(`worker ${index} exited`));
        }
      if (workers.get(index) === w) workers.delete(index);
      if (stopping) return;
      log(`worker ${index} exited (${signal ?? code}); starting it again in 1 s`);
      setTimeout(() => !stopping && fork(index), 1000).unref();
    });
  };

  // 1. The disk cache: checked by the workers as they start.
  const cached = cache.load();
  if (cached.snapshot) current = cached.snapshot;
  else if ('problem' in cached && cached.problem) {
    cacheProblem = cached.problem;
    log(`ignoring config cache: ${cached.problem}`);
  }

  // 2. Workers.
  // 'advanced' (structured clone): analytics frames cross as bytes, not as JSON arrays of numbers.
  cluster.setupPrimary({ exec: join(__dirname, 'worker-entry.js'), serialization: 'advanced' });
  for (let i = 1; i <= workerCount; i++) fork(i);
  await everyoneListening;
  if (current) log(`serving cached config version ${current.version} (${current.hash.slice(0, 12)})`);

  // 3. The cluster link: one for the whole data plane.
  link = new CpLink({
    cpUrl: options.cpUrl,
    clusterToken: options.clusterToken,
    nodeId,
    plugins: PLUGIN_LIST.filter((p) => !options.plugins || options.plugins.includes(p.name)).map((p) => ({
      name: p.name,
      version: p.version,
    })),
    running: () => ({ version: current?.version ?? 0, hash: current?.hash ?? '' }),
    // Defined below; first called at the first heartbeat.
    analyticsBacklog: () => analyticsTotals(),
    apply: async (snapshot) => {
      const started = performance.now();
      try {
        await inTurn(async () => {
          await applyTo([...ready], snapshot);
          current = snapshot;
        });
      } catch (err) {
        lastApplyError = (err as Error).message;
        metrics.applyFailures.inc();
        throw err;
      }
      lastApplyError = undefined;
      const applied = performance.now();
      try {
        cache.write(snapshot);
      } catch (err) {
        log(`could not write config cache: ${(err as Error).message}`);
      }
      log(
        `applied config version ${snapshot.version} (${snapshot.hash.slice(0, 12)}) on ${workers.size} workers in ${(applied - started).toFixed(1)} ms, cached in ${(performance.now() - applied).toFixed(1)} ms`,
      );
    },
    log,
  });
  link.on('connected', () => broadcast({ t: 'link', connected: true }));
  link.on('disconnected', () => broadcast({ t: 'link', connected: false }));
  link.on('analytics_ack', (batchId: string) => broadcast({ t: 'analytics_ack', batchId }));
  link.on('plugin_state', (kind: string, state: unknown) => broadcast({ t: 'plugin_state', kind, state }));
  link.start();

  const workerStats = async (): Promise<WorkerStats[]> =>
    (
      await Promise.all(
        [...workers.values()].map((w) =>
          ask<Extract<FromWorker, { t: 'stats' }>>(w, { t: 'stats', seq: ++seq }, 2000)
            .then((a) => a.stats)
            .catch(() => null),
        ),
      )
    ).filter((s): s is WorkerStats => s !== null);

  /** Every worker's spool, summed. */
  const analyticsTotals = async (): Promise<SpoolStats> => {
    const all = (await workerStats()).map((s) => s.analytics);
    const sum = {} as SpoolStats;
    for (const key of Object.keys(all[0] ?? {}) as (keyof SpoolStats)[])
      sum[key] = all.reduce((n, s) => n + s[key], 0);
    return sum;
  };

  const status = buildStatusServer({
    hosts: hostNamesFor(options.statusListen.host, options.managementHosts ?? []),
    running: () => current,
    link,
    metrics,
    nodeId,
    cacheProblem,
    lastApplyError: () => lastApplyError,
    analytics: analyticsTotals,
    process: async () => {
      const all = await workerStats();
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
    },
    metricsText: () => aggregator.clusterMetrics(),
  });
  await status.listen({ host: options.statusListen.host, port: options.statusListen.port });
  const statusPort = (status.server.address() as AddressInfo).port;
  const first = listening.get(1)!;

  return {
    nodeId,
    proxyUrl: first.proxyUrl,
    proxySslUrl: first.proxySslUrl,
    statusUrl: `http://${formatListen({ host: options.statusListen.host, port: statusPort })}`,
    async close() {
      stopping = true;
      await link!.stop();
      await status.close();
      await Promise.all(
        [...workers.values()].map(
          (w) =>
            new Promise<void>((resolve) => {
              const kill = setTimeout(() => w.process.kill('SIGKILL'), 10_000);
              w.once('exit', () => {
                clearTimeout(kill);
                resolve();
              });
              w.process.kill('SIGTERM');
            }),
        ),
      );
      metrics.stop();
    },
  };
}
