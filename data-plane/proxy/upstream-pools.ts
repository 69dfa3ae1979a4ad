import { Agent, Pool, type Dispatcher } from 'undici';
import { BalancedDispatcher } from '../balancer/balanced-dispatcher';
import type { BalancedTarget } from '../balancer/upstream-balancer';
import type { UpstreamTls } from '../runtime/upstream-tls';
import { BALANCED_INTERCEPTORS, TARGET_INTERCEPTORS, UPSTREAM_INTERCEPTORS } from './upstream-interceptors';

export interface UpstreamTarget {
  protocol: 'http' | 'https';
  host: string;
  port: number;
  connectTimeout: number;
  tlsVerify: boolean;
  /** A client certificate to present, CAs to trust instead of the system's. */
  tls?: UpstreamTls;
}

type PoolSettings = Omit<UpstreamTarget, 'host' | 'port'>;

/**
 * undici connection pools, one per upstream origin and TLS/timeout setting. They outlive config
 * swaps so keep-alive connections survive reconfiguration. Each is composed once with the
 * interceptors every upstream request gets (upstream-interceptors.ts). A balanced service
 * (its host names an upstream) goes through a BalancedDispatcher instead: retries above it,
 * each attempt to one target's pool, composed with what an attempt needs (decoding).
 */
export class UpstreamPools {
  private readonly pools = new Map<string, { pool: Pool; dispatcher: Dispatcher }>();
  private readonly balancedBySettings = new Map<string, Dispatcher>();

  get(t: UpstreamTarget): Dispatcher {
    return this.entry(t, false);
  }

  /** The dispatcher of a service balanced over an upstream's targets, for these settings. */
  balanced(s: PoolSettings): Dispatcher {
    const key = `${s.protocol}|${s.tlsVerify}|${s.connectTimeout}|${s.tls?.key ?? ''}`;
    let d = this.balancedBySettings.get(key);
    if (!d) {
      const direct = (t: BalancedTarget) => this.entry({ ...s, host: t.host, port: t.port }, true);
      d = new BalancedDispatcher(direct).compose(BALANCED_INTERCEPTORS);
      this.balancedBySettings.set(key, d);
    }
    return d;
  }

  private entry(t: UpstreamTarget, attemptOnly: boolean): Dispatcher {
    const host = t.host.replace(/^\[|\]$/g, '');
    const key = `${t.protocol}://${host}:${t.port}|${t.tlsVerify}|${t.connectTimeout}|${attemptOnly}|${t.tls?.key ?? ''}`;
    let entry = this.pools.get(key);
    if (!entry) {
      const pool = new Pool(`${t.protocol}://${host.includes(':') ? `[${host}]` : host}:${t.port}`, {
        connections: 128,
        pipelining: 1,
        keepAliveTimeout: 60_000,
        connect: {
          timeout: t.connectTimeout,
          rejectUnauthorized: t.tlsVerify,
          servername: isIp(host) ? undefined : host,
          ...(t.tls?.cert ? { cert: t.tls.cert, key: t.tls.privateKey } : {}),
          ...(t.tls?.ca ? { ca: t.tls.ca } : {}),
        },
        // Timeouts are per request (read_timeout); disable the pool-wide defaults.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      const interceptors = attemptOnly ? TARGET_INTERCEPTORS : UPSTREAM_INTERCEPTORS;
      entry = { pool, dispatcher: pool.compose(interceptors) };
      this.pools.set(key, entry);
    }
    return entry.dispatcher;
  }

  async close() {
    await Promise.all([...this.pools.values()].map((p) => p.pool.close().catch(() => undefined)));
    this.pools.clear();
    this.balancedBySettings.clear();
  }
}

function isIp(host: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(':');
}

export { Agent };
