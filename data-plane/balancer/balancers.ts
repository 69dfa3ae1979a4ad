/**
 * Every upstream balancer of this process. Configs compile their upstreams here (`compile`,
 * off to the side, after `resolve` has asked DNS for the names they target) and the one being
 * served is `activate`d: its active checks run, the others' stop. Target state (health,
 * in-flight counts, latency) is kept per upstream, target and address across configs, so a new
 * config does not forget a dead replica. DNS answers are asked again when their TTL runs out;
 * an upstream whose addresses changed is rebuilt in place. Health changes are reported
 * (debounced) to whoever listens: the cluster link, then `GET /upstreams/{u}/health`.
 */
import type { SnapshotConfig } from '../../shared/snapshot';
import type { TargetHealthReport } from '../../shared/cluster/protocol';
import { targetHealthOf } from '../../shared/cluster/address-health';
import type { ResolvedNames } from '../dns/resolved-names';
import { ActiveChecks } from './active-checks';
import { checksOn, TargetHealth } from './target-health';
import { configuredTargets, expandTarget, targetNames, type ConfiguredTarget } from './target-addresses';
import {
  targetTag,
  UpstreamBalancer,
  type BalancedTarget,
  type ResolvedTarget,
  type TargetState,
} from './upstream-balancer';
import type { Upstream } from '../../shared/entities/upstream';

/** A compiled config's balancers by upstream name (lower case: hostnames are). */
export type BalancerTable = Map<string, UpstreamBalancer>;

const REPORT_DELAY_MS = 200;
/** How often answers due are asked again (Kong's resolve timer runs every second too). */
const DNS_TICK_MS = 1000;
/** How long a config's apply waits for DNS before it compiles with what is known. */
const RESOLVE_WAIT_MS = 3000;

export class Balancers {
  private readonly states = new Map<string, TargetState>();
  private active: BalancerTable = new Map();
  private readonly checks = new Map<UpstreamBalancer, ActiveChecks>();
  private reportTimer: NodeJS.Timeout | null = null;
  private readonly dnsTimer: NodeJS.Timeout;
  private ticking = false;
  private readonly listeners: ((r: TargetHealthReport) => void)[] = [];
  /** The last report sent (a config change that changes no health sends nothing). */
  private lastReport = '';

  constructor(private readonly names: ResolvedNames) {
    names.onChange = () => this.dnsChanged();
    this.dnsTimer = setInterval(() => void this.refreshDue(), DNS_TICK_MS);
    this.dnsTimer.unref();
  }

  /** Asks DNS for the config's target names not known yet (before `compile`). */
  resolve(config: SnapshotConfig): Promise<void> {
    return this.names.ensure(targetNames(config), RESOLVE_WAIT_MS);
  }

  compile(config: SnapshotConfig): BalancerTable {
    const table: BalancerTable = new Map();
    const targetsOf = configuredTargets(config);
    for (const u of config.upstreams ?? [])
      table.set(u.name.toLowerCase(), this.build(u, targetsOf.get(u.id) ?? []));
    return table;
  }

  private build(u: Upstream, configured: ConfiguredTarget[]): UpstreamBalancer {
    const version = this.names.version;
    const addresses: BalancedTarget[] = [];
    const resolved: ResolvedTarget[] = [];
    for (const t of configured) {
      const { dns, addresses: list } = expandTarget(t, this.names);
      resolved.push({ target: t, dns });
      for (const a of list)
        addresses.push({
          key: t.key,
          address: a.address,
          host: a.ip,
          port: a.port,
          name: u.use_srv_name && a.srvName ? a.srvName : t.host,
          weight: a.weight,
          tag: targetTag(u.id, t.key, a.address),
          state: this.stateOf(`${u.id}|${t.key}|${a.address}`),
        });
    }
    return new UpstreamBalancer(u, addresses, resolved, version);
  }

  private stateOf(id: string): TargetState {
    let state = this.states.get(id);
    if (!state) {
      state = { health: new TargetHealth(() => this.changed()), inFlight: 0, latencyMs: null };
      this.states.set(id, state);
    }
    return state;
  }

  /** The table now served: its probes start, the previous one's stop; forgotten targets go. */
  activate(table: BalancerTable) {
    if (table === this.active) return;
    for (const c of this.checks.values()) c.stop();
    this.checks.clear();
    this.active = table;
    // Answers that changed since the table was compiled (off to the side) are taken now.
    for (const [name, b] of table) if (b.dnsVersion !== this.names.version) this.replace(name, b);
    for (const b of table.values()) this.startChecks(b);
    this.forgetUnused();
    this.names.keepOnly(servedNames(table));
    this.changed();
  }

  private startChecks(b: UpstreamBalancer) {
    const a = b.upstream.healthchecks.active;
    if (b.targets.length && (a.healthy.interval > 0 || a.unhealthy.interval > 0))
      this.checks.set(b, new ActiveChecks(b));
  }

  /** Rebuilds one served upstream from the current DNS answers. */
  private replace(name: string, old: UpstreamBalancer) {
    if (!old.resolved.some((r) => r.target.isName)) return;
    const next = this.build(
      old.upstream,
      old.resolved.map((r) => r.target),
    );
    this.active.set(name, next);
    const checks = this.checks.get(old);
    if (checks) {
      checks.stop();
      this.checks.delete(old);
      this.startChecks(next);
    }
  }

  /** Drops the state of addresses no served balancer has any more. */
  private forgetUnused() {
    const live = new Set<string>();
    for (const b of this.active.values())
      for (const t of b.targets) live.add(`${b.upstream.id}|${t.key}|${t.address}`);
    for (const id of this.states.keys()) if (!live.has(id)) this.states.delete(id);
  }

  /** Asks again for the served names whose TTL ran out (dnsChanged follows a new answer). */
  private async refreshDue() {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await Promise.all(this.names.due(servedNames(this.active)).map((n) => this.names.refresh(n)));
    } finally {
      this.ticking = false;
    }
  }

  /** An answer in use changed: the served upstreams built before it are rebuilt. */
  private dnsChanged() {
    for (const [name, b] of this.active) if (b.dnsVersion !== this.names.version) this.replace(name, b);
    this.forgetUnused();
    this.changed();
  }

  /**
   * A target (every address it resolved to) or one of its addresses (`ip:port`) marked healthy
   * or unhealthy by hand (the Admin API, through the cluster link).
   */
  setHealth(upstreamId: string, target: string, healthy: boolean, address?: string) {
    const prefix = `${upstreamId}|${target}|`;
    for (const [id, state] of this.states)
      if (id.startsWith(prefix) && (address === undefined || id === prefix + address))
        state.health.set(healthy);
  }

  /** Every health report from now on (and the current one at once). */
  onReport(listener: (r: TargetHealthReport) => void) {
    this.listeners.push(listener);
    listener(this.report());
  }

  report(): TargetHealthReport {
    const upstreams: TargetHealthReport['upstreams'] = {};
    for (const b of this.active.values()) {
      const checked = checksOn(b.upstream.healthchecks);
      const targets: TargetHealthReport['upstreams'][string]['targets'] = {};
      const addresses: NonNullable<TargetHealthReport['upstreams'][string]['addresses']> = {};
      for (const { target, dns } of b.resolved) {
        if (target.weight <= 0) continue;
        const list = b.targets
          .filter((t) => t.key === target.key)
          .map((t) => ({
            ip: t.host,
            port: t.port,
            weight: t.weight,
            health: !checked
              ? ('HEALTHCHECKS_OFF' as const)
              : t.state.health.healthy
                ? ('HEALTHY' as const)
                : ('UNHEALTHY' as const),
          }));
        targets[target.key] = targetHealthOf(list);
        addresses[target.key] = { dns, list };
      }
      upstreams[b.upstream.id] = { healthy: b.healthy, checked, targets, addresses };
    }
    return { upstreams };
  }

  private changed() {
    if (this.reportTimer || !this.listeners.length) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = null;
      const report = this.report();
      const text = JSON.stringify(report);
      if (text === this.lastReport) return;
      this.lastReport = text;
      for (const l of this.listeners) l(report);
    }, REPORT_DELAY_MS);
    this.reportTimer.unref();
  }

  close() {
    for (const c of this.checks.values()) c.stop();
    this.checks.clear();
    clearInterval(this.dnsTimer);
    if (this.reportTimer) clearTimeout(this.reportTimer);
  }
}

/** The hostnames a table's targets name (lower case). */
function servedNames(table: BalancerTable): Set<string> {
  const names = new Set<string>();
  for (const b of table.values())
    for (const r of b.resolved) if (r.target.isName) names.add(r.target.host.toLowerCase());
  return names;
}
