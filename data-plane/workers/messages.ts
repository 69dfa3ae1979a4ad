/** What a data plane's primary process and its workers say to each other over IPC. */
import type { SpoolStats } from '../analytics/spool';
import type { EventLoopStats } from '../status/metrics';
import type { TargetHealthReport } from '../../shared/cluster/protocol';

export type ToWorker =
  /** Compile this snapshot (encodeSnapshotText) and hold it; answer `prepared`. */
  | { t: 'prepare'; seq: number; text: string }
  /** Serve what `prepare` compiled. The first commit (or `start`) opens the listeners. */
  | { t: 'commit'; seq: number }
  | { t: 'abort'; seq: number }
  /** No config exists yet: listen anyway (every request gets 503 until one arrives). */
  | { t: 'start' }
  | { t: 'link'; connected: boolean }
  | { t: 'analytics_ack'; batchId: string }
  /** State the control plane pushed for plugins (replaces the previous one of its kind). */
  | { t: 'plugin_state'; kind: string; state: unknown }
  | { t: 'set_target_health'; upstreamId: string; target: string; healthy: boolean; address?: string }
  | { t: 'stats'; seq: number };

export interface WorkerStats {
  index: number;
  pid: number;
  config_version: number;
  config_hash: string;
  analytics: SpoolStats;
  event_loop: EventLoopStats;
  rss: number;
  heap_used: number;
}

export type FromWorker =
  | { t: 'prepared'; seq: number; error?: string }
  | { t: 'listening'; proxyUrl: string; proxySslUrl?: string }
  /** An analytics batch frame for the control plane (UTF-8 JSON; IPC carries bytes as bytes). */
  | { t: 'analytics'; text: Uint8Array }
  | { t: 'stats'; seq: number; stats: WorkerStats }
  /** This worker's balancers' health, when it changes. */
  | { t: 'target_health'; report: TargetHealthReport };
