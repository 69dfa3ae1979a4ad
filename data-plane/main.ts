/**
 * A data plane in one process: serves the snapshot it holds (from the control plane or its disk
 * cache), proxies traffic, and never stops serving because the control plane is away. With
 * TOLLGATE_DP_WORKERS > 1 the same work is split across processes (workers/).
 */
import { withDataDirLock } from '../shared/data-dir-lock';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ensurePrivateDir, writePrivateFile } from '../shared/private-files';
import type { Snapshot } from '../shared/snapshot';
import type { AnalyticsRecord } from '../shared/analytics/record';
import { formatListen } from '../shared/listen';
import { ConfigCache } from './clustering/config-cache';
import { CpLink } from './clustering/cp-link';
import type { ConfigHolder } from './runtime/config-holder';
import { hostNamesFor } from '../shared/http/host-names';
import { buildStatusServer } from './status/status-server';
import type { DataPlaneOptions } from './options';
import { AnalyticsSpool } from './analytics/spool';
import { adoptOrphanBatches } from './analytics/spool-dirs';
import { createServing } from './serving';

export interface RunningDataPlane {
  nodeId: string;
  dataDir: string;
  proxyUrl: string;
  proxySslUrl?: string;
  statusUrl: string;
  holder: ConfigHolder;
  link: CpLink;
  analytics: AnalyticsSpool;
  close(): Promise<void>;
}

/** A DP keeps its node id across restarts (stored in its data dir) unless one is given. */
export function nodeIdFor(dataDir: string, given?: string): string {
  if (given) return given;
  const file = join(dataDir, 'node_id');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const id = randomUUID();
  writePrivateFile(file, id);
  return id;
}

export const defaultLog = (line: string): void => void process.stderr.write(`[data-plane] ${line}\n`);

/** A data plane owning its data directory (config cache, analytics outbox) alone. */
export function startDataPlane(
  options: DataPlaneOptions,
  opts: { log?: (line: string) => void } = {},
): Promise<RunningDataPlane> {
  return withDataDirLock(options.dataDir, 'data-plane', () => startLockedDataPlane(options, opts));
}

async function startLockedDataPlane(
  options: DataPlaneOptions,
  { log = defaultLog }: { log?: (line: string) => void } = {},
): Promise<RunningDataPlane> {
  ensurePrivateDir(options.dataDir);
  const nodeId = nodeIdFor(options.dataDir, options.nodeId);
  const cache = new ConfigCache(options.dataDir);

  // Analytics leave the request path into an outbox that survives restarts.
  let link: CpLink | undefined = undefined;
  const analyticsDir = join(options.dataDir, 'analytics');
  adoptOrphanBatches(analyticsDir, 1, analyticsDir);
  const analytics = new AnalyticsSpool({
    dir: analyticsDir,
    send: (text) => link?.sendText(text) ?? false,
    log,
  });
  const serving = createServing(options, {
    nodeId,
    log,
    analytics: (records: AnalyticsRecord[]) => analytics.record(records),
    reports: (kind, data) => analytics.report(kind, data),
  });
  const { holder } = serving;

  const applySnapshot = (snapshot: Snapshot, persist: boolean) => {
    const started = performance.now();
    serving.swap(serving.prepare(snapshot));
    const swapped = performance.now();
    if (persist) {
      try {
        cache.write(snapshot);
      } catch (err) {
        log(`could not write config cache: ${(err as Error).message}`);
      }
    }
    // The ack follows this line immediately (cp-link sends it when apply returns).
    log(
      `applied config version ${snapshot.version} (${snapshot.hash.slice(0, 12)}): compiled in ${(swapped - started).toFixed(1)} ms, cached in ${(performance.now() - swapped).toFixed(1)} ms`,
    );
  };

  // 1. Start from the disk cache: serve even if the control plane never answers.
  const cached = cache.load();
  let cacheProblem: string | undefined;
  if (cached.snapshot) {
    try {
      applySnapshot(cached.snapshot, false);
      log(`serving cached config version ${cached.snapshot.version} (${cached.snapshot.hash.slice(0, 12)})`);
    } catch (err) {
      cacheProblem = `cached config not applicable: ${(err as Error).message}`;
    }
  } else if ('problem' in cached && cached.problem) {
    cacheProblem = cached.problem;
    log(`ignoring config cache: ${cached.problem}`);
  }
  analytics.start();

  // 2. Listeners.
  const urls = await serving.listen();

  // 3. The cluster link.
  link = new CpLink({
    cpUrl: options.cpUrl,
    clusterToken: options.clusterToken,
    nodeId,
    plugins: serving.available.map((p) => ({ name: p.name, version: p.version })),
    running: () => ({ version: holder.current?.version ?? 0, hash: holder.current?.hash ?? '' }),
    analyticsBacklog: () => analytics.stats(),
    apply: (snapshot) => applySnapshot(snapshot, true),
    log,
  });
  link.on('connected', () => analytics.setConnected(true));
  link.on('disconnected', () => analytics.setConnected(false));
  link.on('analytics_ack', (id: string) => analytics.ack(id));
  link.on('plugin_state', (kind: string, state: unknown) => serving.runtime.setClusterState(kind, state));
  link.start();

  const status = buildStatusServer({
    hosts: hostNamesFor(options.statusListen.host, options.managementHosts ?? []),
    running: () => holder.current,
    link,
    metrics: serving.metrics,
    nodeId,
    cacheProblem,
    lastApplyError: () => serving.lastApplyError,
    analytics: async () => analytics.stats(),
  });
  await status.listen({ host: options.statusListen.host, port: options.statusListen.port });
  const statusPort = (status.server.address() as AddressInfo).port;

  return {
    nodeId,
    dataDir: options.dataDir,
    ...urls,
    statusUrl: `http://${formatListen({ host: options.statusListen.host, port: statusPort })}`,
    holder,
    link,
    analytics,
    async close() {
      await link!.stop();
      await analytics.stop();
      await status.close();
      await serving.close();
    },
  };
}
