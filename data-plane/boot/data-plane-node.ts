/**
 * The one boot sequence of a data plane, whatever its engine (one process, or workers):
 * 1. its identity and data dir (node id kept across restarts, analytics outbox adopted);
 * 2. the disk cache, served before anything else, so it serves with the control plane away;
 * 3. the proxy listeners; 4. the cluster link (apply → engine, then the cache, then the ack);
 * 5. the status listener. Closed in the reverse order.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ensurePrivateDir, writePrivateFile } from '../../shared/private-files';
import { formatListen } from '../../shared/listen';
import { hostNamesFor } from '../../shared/http/host-names';
import type { Snapshot } from '../../shared/snapshot';
import { ConfigCache } from '../clustering/config-cache';
import { CpLink } from '../clustering/cp-link';
import { buildStatusServer } from '../status/status-server';
import type { DataPlaneOptions } from '../options';
import type { NodeEngine, NodeLink, ProxyUrls } from './node-engine';
import type { TargetHealthReport } from '../../shared/cluster/protocol';

export interface RunningNode extends ProxyUrls {
  nodeId: string;
  statusUrl: string;
  link: CpLink;
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

/** The cached snapshot to serve first, or why there is none worth naming. */
function loadCache(
  cache: ConfigCache,
  log: (line: string) => void,
): { snapshot: Snapshot | null; problem?: string } {
  const cached = cache.load();
  if (cached.snapshot) return { snapshot: cached.snapshot };
  if ('problem' in cached && cached.problem) {
    log(`ignoring config cache: ${cached.problem}`);
    return { snapshot: null, problem: cached.problem };
  }
  return { snapshot: null };
}

export async function bootNode(
  options: DataPlaneOptions,
  nodeId: string,
  makeEngine: (link: NodeLink) => NodeEngine,
  log: (line: string) => void,
): Promise<RunningNode> {
  // Made after the engine started; the engine's closures read it when they run.
  // eslint-disable-next-line prefer-const
  let link: CpLink | undefined;
  let health: TargetHealthReport | undefined;
  const engine = makeEngine({
    reportTargetHealth: (report) => (link ? link.reportTargetHealth(report) : (health = report)),
    sendText: (text) => link?.sendText(text) ?? false,
    get connected() {
      return link?.connected ?? false;
    },
    pluginStates: () => [...(link?.pluginStates ?? [])].map(([kind, { state }]) => [kind, state]),
  });
  const cache = new ConfigCache(options.dataDir);
  const cached = loadCache(cache, log);
  const urls = await engine.start(cached.snapshot);
  const cacheProblem = urls.cacheProblem ?? cached.problem;
  const served = engine.running();
  if (cached.snapshot && served?.hash === cached.snapshot.hash)
    log(`serving cached config version ${served.version} (${served.hash.slice(0, 12)})`);

  link = new CpLink({
    cpUrl: options.cpUrl,
    clusterToken: options.clusterToken,
    nodeId,
    plugins: engine.plugins,
    running: () => engine.running() ?? { version: 0, hash: '' },
    analyticsBacklog: () => engine.analytics(),
    apply: async (snapshot) => {
      const started = performance.now();
      await engine.apply(snapshot);
      const applied = performance.now();
      try {
        cache.write(snapshot);
      } catch (err) {
        log(`could not write config cache: ${(err as Error).message}`);
      }
      // The ack follows this line immediately (cp-link sends it when apply returns).
      log(
        `applied config version ${snapshot.version} (${snapshot.hash.slice(0, 12)}): served in ${(applied - started).toFixed(1)} ms, cached in ${(performance.now() - applied).toFixed(1)} ms`,
      );
    },
    log,
  });
  link.on('connected', () => engine.linkChanged(true));
  link.on('disconnected', () => engine.linkChanged(false));
  link.on('analytics_ack', (id: string) => engine.analyticsAcked(id));
  link.on('plugin_state', (kind: string, state: unknown) => engine.pluginState(kind, state));
  link.on('set_target_health', (upstreamId: string, target: string, healthy: boolean, address?: string) =>
    engine.setTargetHealth(upstreamId, target, healthy, address),
  );
  if (health) link.reportTargetHealth(health);
  link.start();

  const status = buildStatusServer({
    hosts: hostNamesFor(options.statusListen.host, options.managementHosts ?? []),
    running: () => engine.running(),
    link,
    nodeId,
    cacheProblem,
    analytics: () => engine.analytics(),
    ...engine.status,
  });
  await status.listen({ host: options.statusListen.host, port: options.statusListen.port });
  const statusPort = (status.server.address() as AddressInfo).port;
  return {
    nodeId,
    ...urls,
    statusUrl: `http://${formatListen({ host: options.statusListen.host, port: statusPort })}`,
    link,
    async close() {
      await link!.stop();
      await status.close();
      await engine.close();
    },
  };
}

/** The node's data dir made private, its node id. */
export function prepareNode(options: DataPlaneOptions): string {
  ensurePrivateDir(options.dataDir);
  return nodeIdFor(options.dataDir, options.nodeId);
}
