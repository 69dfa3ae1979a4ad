/**
 * A node's balancer health over its workers: each worker balances (and probes) on its own, so a
 * target is UNHEALTHY for the node when any worker finds it so, and an upstream is healthy when
 * every worker can still pick a target.
 */
import type { TargetHealthReport } from '../../shared/cluster/protocol';

export function mergeHealth(reports: TargetHealthReport[]): TargetHealthReport {
  const upstreams: TargetHealthReport['upstreams'] = {};
  for (const r of reports)
    for (const [id, u] of Object.entries(r.upstreams)) {
      const into = (upstreams[id] ??= { healthy: true, checked: false, targets: {} });
      into.healthy &&= u.healthy;
      into.checked ||= u.checked;
      for (const [target, health] of Object.entries(u.targets))
        if (into.targets[target] !== 'UNHEALTHY') into.targets[target] = health;
    }
  return { upstreams };
}

/** Each worker's latest report, merged and passed on whenever one changes. */
export class WorkersHealth {
  private readonly reports = new Map<number, TargetHealthReport>();

  constructor(private readonly send: (merged: TargetHealthReport) => void) {}

  set(worker: number, report: TargetHealthReport) {
    this.reports.set(worker, report);
    this.send(mergeHealth([...this.reports.values()]));
  }
}
