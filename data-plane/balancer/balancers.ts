/**
 * Every upstream balancer of this process. Configs compile their upstreams here (`compile`,
 * off to the side) and the one being served is `activate`d: its active checks run, the others'
 * stop. Target state (health, in-flight counts, latency) is kept per upstream id and target
 * across configs, so a new config does not forget a dead replica. Health changes are reported
 * (debounced) to whoever listens: the cluster link, then `GET /upstreams/{u}/health`.
 */
import type { SnapshotConfig } from '../../shared/snapshot';
import type { TargetHealthReport } from '../../shared/cluster/protocol';
import { parseHostPort } from '../../shared/entities/host-port';
import { ActiveChecks } from './active-checks';
import { checksOn, TargetHealth } from './target-health';
import { targetTag, UpstreamBalancer, type BalancedTarget, type TargetState } from './upstream-balancer';

/** A compiled config's balancers by upstream name (lower case: hostnames are). */
export type BalancerTable = Map<string, UpstreamBalancer>;

const REPORT_DELAY_MS = 200;

export class Balancers {
  private readonly states = new Map<string, TargetState>();
  private active: BalancerTable = new Map();
  private readonly checks = new Map<UpstreamBalancer, ActiveChecks>();
  private reportTimer: NodeJS.Timeout | null = null;
  private readonly listeners: ((r: TargetHealthReport) => void)[] = [];
  /** The last report sent (a config change that changes no health sends nothing). */
  private lastReport = '';

  compile(config: SnapshotConfig): BalancerTable {
    const table: BalancerTable = new Map();
    const targetsOf = new Map<string, BalancedTarget[]>();
    for (const t of config.targets ?? []) {
      const parsed = parseHostPort(t.target);
      if (!parsed || parsed.port === undefined) continue;
      const list = targetsOf.get(t.upstream.id) ?? [];
      list.push({
        key: t.target,
        host: parsed.host,
        port: parsed.port,
        weight: t.weight,
        tag: targetTag(t.upstream.id, t.target),
        state: this.stateOf(t.upstream.id, t.target),
      });
      targetsOf.set(t.upstream.id, list);
    }
    for (const u of config.upstreams ?? [])
      table.set(u.name.toLowerCase(), new UpstreamBalancer(u, targetsOf.get(u.id) ?? []));
    return table;
  }

  private stateOf(upstreamId: string, key: string): TargetState {
    const id = `${upstreamId}|${key}`;
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
    const live = new Set<string>();
    for (const b of table.values()) {
      for (const t of b.targets) live.add(`${b.upstream.id}|${t.key}`);
      const a = b.upstream.healthchecks.active;
      if (b.targets.length && (a.healthy.interval > 0 || a.unhealthy.interval > 0))
        this.checks.set(b, new ActiveChecks(b));
    }
    for (const id of this.states.keys()) if (!live.has(id)) this.states.delete(id);
    this.changed();
  }

  /** A target marked healthy or unhealthy by hand (the Admin API, through the cluster link). */
  setHealth(upstreamId: string, target: string, healthy: boolean) {
    this.states.get(`${upstreamId}|${target}`)?.health.set(healthy);
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
      const targets: Record<string, 'HEALTHY' | 'UNHEALTHY' | 'HEALTHCHECKS_OFF'> = {};
      for (const t of b.targets)
        targets[t.key] = !checked ? 'HEALTHCHECKS_OFF' : t.state.health.healthy ? 'HEALTHY' : 'UNHEALTHY';
      upstreams[b.upstream.id] = { healthy: b.healthy, checked, targets };
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
    if (this.reportTimer) clearTimeout(this.reportTimer);
  }
}
