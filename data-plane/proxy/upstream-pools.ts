import { Agent, Pool } from 'undici';

export interface UpstreamTarget {
  protocol: 'http' | 'https';
  host: string;
  port: number;
  connectTimeout: number;
  tlsVerify: boolean;
}

/**
 * undici connection pools, one per upstream origin and TLS/timeout setting. They outlive config
 * swaps so keep-alive connections survive reconfiguration.
 */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  get(t: UpstreamTarget): Pool {
    const host = t.host.replace(/^\[|\]$/g, '');
    t = { ...t, host };
    const key = `${t.protocol}://${t.host}:${t.port}|${t.tlsVerify}|${t.connectTimeout}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(`${t.protocol}://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`, {
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
      this.pools.set(key, pool);
    }
    return pool;
  }

  async close() {
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => undefined)));
    this.pools.clear();
  }
}

function isIp(host: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(':');
}

export { Agent };
