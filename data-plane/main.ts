/**
 * A data plane in one process: serves the snapshot it holds (from the control plane or its disk
 * cache), proxies traffic, and never stops serving because the control plane is away. With
 * TOLLGATE_DP_WORKERS > 1 the same work is split across processes (workers/); both boot the
 * same way (boot/data-plane-node.ts).
 */
import { withDataDirLock } from '../shared/data-dir-lock';
import type { CpLink } from './clustering/cp-link';
import type { ConfigHolder } from './runtime/config-holder';
import type { DataPlaneOptions } from './options';
import type { AnalyticsSpool } from './analytics/spool';
import { bootNode, prepareNode } from './boot/data-plane-node';
import { singleProcessEngine, type SingleProcessEngine } from './boot/single-process';

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

export const defaultLog = (line: string): void => void process.stderr.write(`[data-plane] ${line}\n`);

/** A data plane owning its data directory (config cache, analytics outbox) alone. */
export function startDataPlane(
  options: DataPlaneOptions,
  { log = defaultLog }: { log?: (line: string) => void } = {},
): Promise<RunningDataPlane> {
  return withDataDirLock(options.dataDir, 'data-plane', async () => {
    const nodeId = prepareNode(options);
    let engine: SingleProcessEngine | undefined;
    const node = await bootNode(
      options,
      nodeId,
      (link) => (engine = singleProcessEngine(options, nodeId, link, log)),
      log,
    );
    return {
      ...node,
      dataDir: options.dataDir,
      holder: engine!.serving.holder,
      analytics: engine!.spool,
    };
  });
}
