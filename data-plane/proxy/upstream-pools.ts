import { Agent, Pool, type Dispatcher } from 'undici';
import { UPSTREAM_INTERCEPTORS } from './upstream-interceptors';

export interface UpstreamTarget {
  protocol: 'http' | 'https';
  host: string;
  port: number;
  connectTimeout: number;
  tlsVerify: boolean;
}

/**
 * undici connection pools, one per upstream origin and TLS/timeout setting. They outlive config
 * swaps so keep-alive connections survive reconfiguration. Each is composed once with the
 * interceptors every upstream request gets (upstream-interceptors.ts).
 */
export class UpstreamPools {
  private readonly pools = new Map<string, { pool: Pool; dispatcher: Dispatcher }>();

  get(t: UpstreamTarget): Dispatcher {
    const host = t.host.replace(/^\[|\]$/g, '');
    t = { ...t, host };
    const key = `${t.protocol}://${t.host}:${t.port}|${t.tlsVerify}|${t.connectTimeout}`;
    let entry = this.pools.get(key);
    if (!entry) {
      const pool = new Pool(`${t.protocol}://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`, {
        connections: 128,
        pipelining: 1,
        keepAliveTimeout: 60_000,
        connect: {
          timeout: t.connectTimeout,
          rejectUnauthorized: t.tlsVerify,
          servername: isIp(t.host) ? undefined : t.host,
        },
        // Timeouts are per request (read_timeout); disable the pool-wide defaults.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      entry = { pool, dispatcher: pool.compose(UPSTREAM_INTERCEPTORS) };
      this.pools.set(key, entry);
    }
    return entry.dispatcher;
  }

  async close() {
    await Promise.all([...this.pools.values()].map((p) => p.pool.close().catch(() => undefined)));
    this.pools.clear();
  }
}

function isIp(host: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(':');
}

export { Agent };
