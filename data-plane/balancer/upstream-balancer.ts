/**
 * One upstream compiled for one config and one set of DNS answers: the addresses its targets
 * stand for that are in rotation (weight > 0), the algorithm that picks among the healthy ones,
 * and the state that outlives configs (health, in-flight counts, latencies: `TargetState`,
 * owned by Balancers and kept by target address across swaps and DNS changes).
 */
import type { Upstream } from '../../shared/entities/upstream';
import { Continuum, hash32 } from './hashing';
import type { TargetHealth, Thresholds } from './target-health';
import type { ConfiguredTarget, DnsKind } from './target-addresses';

/** A configured target and how it resolved (what `/health` reports per target). */
export interface ResolvedTarget {
  target: ConfiguredTarget;
  dns: DnsKind;
}

/** What a target carries from config to config. */
export interface TargetState {
  health: TargetHealth;
  inFlight: number;
  /** Exponentially weighted time to the response's start, ms (the latency algorithm). */
  latencyMs: number | null;
}

/** One address of a target: what a request is sent to. */
export interface BalancedTarget {
  /** `host:port` as configured (Kong's target). */
  key: string;
  /** `ip:port` this address is (the target's own when it names an IP). */
  address: string;
  /** The IP connected to. */
  host: string;
  port: number;
  /** The target's host name (the Host header and SNI unless the upstream sets `host_header`). */
  name: string;
  weight: number;
  /** The tag a session value learnt from this target carries (session-affinity.ts). */
  tag: string;
  state: TargetState;
}

/** Per request: what it hashes, which targets it has tried, the one it is pinned to. */
export interface BalanceAttempts {
  hash: string;
  tried: Set<BalancedTarget>;
  preferred?: BalancedTarget;
}

export class UpstreamBalancer {
  readonly targets: BalancedTarget[];
  private readonly ring: Continuum<BalancedTarget> | null;
  private readonly byTag: Map<string, BalancedTarget>;
  private readonly totalWeight: number;
  /** The counters' thresholds of proxied traffic and of probes (derived once per config). */
  readonly passive: Thresholds;
  readonly active: Thresholds;
  /** Smooth weighted round-robin (nginx's): each target's current weight. */
  private readonly current = new Map<BalancedTarget, number>();

  constructor(
    readonly upstream: Upstream,
    targets: BalancedTarget[],
    readonly resolved: ResolvedTarget[] = [],
    /** The DNS answers' version this was built from (dns/resolved-names.ts). */
    readonly dnsVersion = 0,
  ) {
    this.targets = targets.filter((t) => t.weight > 0);
    this.totalWeight = this.targets.reduce((n, t) => n + t.weight, 0);
    this.ring =
      upstream.algorithm === 'consistent-hashing' && this.targets.length
        ? new Continuum(this.targets, upstream.slots)
        : null;
    this.byTag = new Map(this.targets.map((t) => [t.tag, t]));
    const { active: a, passive: p } = upstream.healthchecks;
    this.passive = { successes: p.healthy.successes, ...p.unhealthy };
    this.active = { successes: a.healthy.successes, ...a.unhealthy };
  }

  /** Below the upstream's threshold (percent of weight healthy) nothing is picked (Kong: 503). */
  get healthy(): boolean {
    if (!this.targets.length) return false;
    const up = this.targets.reduce((n, t) => n + (t.state.health.healthy ? t.weight : 0), 0);
    if (up === 0) return false;
    return (up / this.totalWeight) * 100 >= this.upstream.healthchecks.threshold;
  }

  targetByTag(tag: string): BalancedTarget | undefined {
    return this.byTag.get(tag);
  }

  /**
   * The next target for an attempt: a healthy one the request has not tried, else (every
   * healthy one tried: Kong's retries go round the balancer again) any healthy one; undefined
   * when none is healthy.
   */
  pick(a: BalanceAttempts): BalancedTarget | undefined {
    if (!this.healthy) return undefined;
    const untried = (t: BalancedTarget) => t.state.health.healthy && !a.tried.has(t);
    return (
      this.choose(a, untried) ?? (a.tried.size ? this.choose(a, (t) => t.state.health.healthy) : undefined)
    );
  }

  private choose(a: BalanceAttempts, usable: (t: BalancedTarget) => boolean): BalancedTarget | undefined {
    if (a.preferred && usable(a.preferred)) return a.preferred;
    switch (this.upstream.algorithm) {
      case 'consistent-hashing':
        // Nothing to hash (no session yet): Kong hashes "" and sends every such request to one
        // target; spreading them is what makes sessions, pinned where they start, spread too.
        return a.hash === '' ? this.roundRobin(usable) : this.ring!.pick(a.hash, usable);
      case 'least-connections':
        return this.least(usable, (t) => (t.state.inFlight + 1) / t.weight);
      case 'latency':
        return this.least(usable, (t) => t.state.latencyMs ?? -1);
      default:
        return this.roundRobin(usable);
    }
  }

  private least(usable: (t: BalancedTarget) => boolean, cost: (t: BalancedTarget) => number) {
    let best: BalancedTarget | undefined;
    for (const t of this.targets) if (usable(t) && (!best || cost(t) < cost(best))) best = t;
    return best;
  }

  private roundRobin(usable: (t: BalancedTarget) => boolean): BalancedTarget | undefined {
    let best: BalancedTarget | undefined;
    let total = 0;
    for (const t of this.targets) {
      if (!usable(t)) continue;
      const w = (this.current.get(t) ?? 0) + t.weight;
      this.current.set(t, w);
      total += t.weight;
      if (!best || w > this.current.get(best)!) best = t;
    }
    if (best) this.current.set(best, this.current.get(best)! - total);
    return best;
  }
}

/**
 * A short, stable tag naming an address of an upstream's target (the same on every data
 * plane). A target naming an IP is tagged by the target alone.
 */
export function targetTag(upstreamId: string, key: string, address = key): string {
  const named = address === key ? key : `${key}|${address}`;
  return hash32(`${upstreamId}|${named}`).toString(16).padStart(8, '0');
}
