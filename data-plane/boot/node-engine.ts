/**
 * What differs between a data plane in one process and one split over workers: how a config is
 * served and how traffic is proxied. Everything else — node id, config cache, cluster link,
 * status listener, the order they start and stop in — is one boot sequence (data-plane-node.ts).
 */
import type { Snapshot } from '../../shared/snapshot';
import type { TargetHealthReport } from '../../shared/cluster/protocol';
import type { SpoolStats } from '../analytics/spool';
import type { StatusSources } from '../status/status-server';

export interface ProxyUrls {
  proxyUrl: string;
  proxySslUrl?: string;
}

/** What the engine may ask of the node's cluster link (made after the engine started). */
export interface NodeLink {
  /** Send an analytics frame (false: not connected, keep it). */
  sendText(text: Buffer): boolean;
  readonly connected: boolean;
  /** The plugin state the control plane sent, by kind. */
  pluginStates(): [string, unknown][];
  /** The balancers' health for the control plane (kept, and sent again on reconnect). */
  reportTargetHealth(report: TargetHealthReport): void;
}

export interface NodeEngine {
  /** Plugins it runs (told to the control plane in hello). */
  readonly plugins: { name: string; version: string }[];
  /** The config it serves now. */
  running(): { version: number; hash: string } | null;
  /**
   * Serve the cached snapshot, if any, then open the proxy listeners. A cached snapshot that
   * cannot be served is returned as the cache's problem (the node serves without it).
   */
  start(cached: Snapshot | null): Promise<ProxyUrls & { cacheProblem?: string }>;
  /** Serve `snapshot` from now on, everywhere or nowhere; throws with the reason. */
  apply(snapshot: Snapshot): Promise<void>;
  /** Cluster link events. */
  linkChanged(connected: boolean): void;
  analyticsAcked(batchId: string): void;
  pluginState(kind: string, state: unknown): void;
  /** A target's health set by hand (Kong's …/healthy|unhealthy). */
  setTargetHealth(upstreamId: string, target: string, healthy: boolean, address?: string): void;
  analytics(): Promise<SpoolStats>;
  /** What the status listener reports of it. */
  status: Pick<StatusSources, 'metrics' | 'lastApplyError' | 'process' | 'metricsText'>;
  close(): Promise<void>;
}
