import Fastify, { type FastifyInstance } from 'fastify';
import type { ConfigHolder } from '../runtime/config-holder';
import type { CpLink } from '../clustering/cp-link';
import type { ProxyMetrics } from './metrics';
import type { SpoolStats } from '../analytics/spool';

export interface StatusSources {
  holder: ConfigHolder;
  link: CpLink;
  metrics: ProxyMetrics;
  nodeId: string;
  /** Problem with the on-disk cache at start, if any (reported, never fatal). */
  cacheProblem?: string;
  lastApplyError?: () => string | undefined;
  analytics?: () => SpoolStats;
}

/** `/status`, `/status/ready` (503 until a config is loaded) and `/metrics`. */
export function buildStatusServer(src: StatusSources): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/status', async () => {
    const c = src.holder.current;
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
      memory: { rss: process.memoryUsage.rss(), heap_used: process.memoryUsage().heapUsed },
      event_loop: src.metrics.eventLoop(),
      cache_problem: src.cacheProblem ?? null,
      analytics: src.analytics?.() ?? null,
    };
  });
  app.get('/status/ready', async (_req, reply) => {
    if (!src.holder.current) {
      return reply
        .status(503)
        .send({ message: 'no configuration available (configuration hash is not initialized)' });
    }
    return { message: 'ready' };
  });
  app.get('/metrics', async (_req, reply) => {
    src.metrics.configVersion.set(src.holder.current?.version ?? 0);
    src.metrics.cpConnected.set(src.link.connected ? 1 : 0);
    reply.header('content-type', src.metrics.registry.contentType);
    return src.metrics.registry.metrics();
  });
  return app;
}
