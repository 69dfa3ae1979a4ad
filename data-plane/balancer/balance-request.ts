/**
 * What one request's balancing starts from: its hash input, the target its session is pinned
 * to (and the header the target sees untagged), and how the Host header is set per target
 * (Kong's set_host_header: the upstream's `host_header`, else the target's host, with the port
 * unless it is the scheme's default; nothing on `preserve_host` routes).
 */
import type { RequestContext } from '../runtime/request-context';
import type { BalanceOptions } from './balanced-dispatcher';
import { hashInput } from './hash-value';
import { readTag } from './session-affinity';
import type { BalancedTarget, UpstreamBalancer } from './upstream-balancer';

const DEFAULT_PORT: Record<string, number> = { http: 80, https: 443 };

export function balanceRequest(
  rc: RequestContext,
  balancer: UpstreamBalancer,
  protocol: 'http' | 'https',
  preserveHost: boolean,
): BalanceOptions {
  const u = balancer.upstream;
  const affinityHeader =
    u.algorithm === 'consistent-hashing' && u.hash_on === 'header' ? u.hash_on_header!.toLowerCase() : null;
  let preferred: BalancedTarget | undefined;
  if (affinityHeader) {
    const sent = rc.headers[affinityHeader];
    if (typeof sent === 'string') {
      const read = readTag(sent, balancer);
      rc.headers[affinityHeader] = read.value;
      preferred = read.target;
    }
  }
  const input = u.algorithm === 'consistent-hashing' ? hashInput(rc, u) : { value: '' };
  const hostHeader = preserveHost
    ? null
    : (t: BalancedTarget) => {
        const name = u.host_header ?? (t.name.includes(':') ? `[${t.name}]` : t.name);
        if (u.host_header?.includes(':')) return u.host_header;
        return t.port === DEFAULT_PORT[protocol] ? name : `${name}:${t.port}`;
      };
  return {
    balancer,
    attempts: { hash: input.value, tried: new Set(), preferred },
    hostHeader,
    affinityHeader,
    setCookie: input.setCookie,
  };
}
