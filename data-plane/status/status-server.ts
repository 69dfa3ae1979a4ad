import Fastify, { type FastifyInstance } from 'fastify';
import type { CpLink } from '../clustering/cp-link';
import type { EventLoopStats, ProxyMetrics } from './metrics';
import type { SpoolStats } from '../analytics/spool';
import { guardHost } from '../../shared/http/management-listener';
import type { HostNames } from '../../shared/http/host-names';

export interface StatusSources {
  /** Host names the listener answers (null: any). */
  hosts: HostNames | null;
  /** The config being served (version and hash), or null before the first. */
  running: () => { version: number; hash: string } | null;
  link: CpLink;
  metrics: ProxyMetrics;
  nodeId: string;
  /** Problem with the on-disk cache at start, if any (reported, never fatal). */
  cacheProblem?: string;
  lastApplyError?: () => string | undefined;
  /** The Prometheus text (workers: aggregated across them); default this process's registry. */
  metricsText?: () => Promise<string>;
  analytics?: () => Promise<SpoolStats>;
  /** Event-loop delay and memory: this process's, or summed over workers. */
  process?: () => Promise<{
    event_loop: EventLoopStats;
    rss: number;
    heap_used: number;
    /** Workers of a multi-process data plane: each one's pid and the config it serves. */
    workers?: unknown[];
  }>;
}

/** `/status`, `/status/ready` (503 until a config is loaded) and `/metrics`. */
export function buildStatusServer(src: StatusSources): FastifyInstance {
  const app = Fastify({ logger: false });
  guardHost(app, src.hosts);
  app.get('/status', async () => {
    const c = src.running();
    const proc = src.process
      ? await src.process()
      : {
          event_loop: src.metrics.eventLoop(),
          rss: process.memoryUsage.rss(),
          heap_used: process.memoryUsage().heapUsed,
        };
    return {
      node_id: src.nodeId,
      configuration_version: c?.version ?? 0,
      configuration_hash: c?.hash ?? '',
      control_plane: {
        connected: src.link.connected,
        sync_status: src.link.syncStatus,
        reason: src.link.syncReason ?? null,
        last_error: src.link.lastError ?? null,
      },
      last_apply_error: src.lastApplyError?.() ?? null,
      memory: { rss: proc.rss, heap_used: proc.heap_used },
      event_loop: proc.event_loop,
      ...(proc.workers ? { workers: proc.workers } : {}),
      cache_problem: src.cacheProblem ?? null,
      analytics: (await src.analytics?.()) ?? null,
      // What the control plane pushed for plugins: per kind, when, and the size of each list.
      plugin_states: Object.fromEntries(
        [...src.link.pluginStates].map(([kind, { state, received_at }]) => [
          kind,
          {
            received_at,
            ...(state && typeof state === 'object' && !Array.isArray(state)
              ? Object.fromEntries(
                  Object.entries(state).map(([k, v]) => [k, Array.isArray(v) ? v.length : typeof v]),
                )
              : {}),
          },
        ]),
      ),
    };
  });
  app.get('/status/ready', async (_req, reply) => {
    if (!src.running()) {
      return reply
        .status(503)
        .send({ message: 'no configuration available (configuration hash is not initialized)' });
    }
    return { message: 'ready' };
  });
  app.get('/metrics', async (_req, reply) => {
    src.metrics.configVersion.set(src.running()?.version ?? 0);
    src.metrics.cpConnected.set(src.link.connected ? 1 : 0);
    reply.header('content-type', src.metrics.registry.contentType);
    return src.metricsText ? src.metricsText() : src.metrics.registry.metrics();
  });
  return app;
}
