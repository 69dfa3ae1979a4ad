/**
 * A node's balancer health over its workers: each worker balances (and probes) on its own, so
 * an address is UNHEALTHY for the node when any worker finds it so (shared/cluster/
 * address-health.ts), a target's health follows from its merged addresses, and an upstream is
 * healthy when every worker can still pick a target.
 */
import type { TargetHealthReport } from '../../shared/cluster/protocol';
import { mergeAddressLists, targetHealthOf } from '../../shared/cluster/address-health';

type UpstreamReport = TargetHealthReport['upstreams'][string];

export function mergeHealth(reports: TargetHealthReport[]): TargetHealthReport {
  const upstreams: TargetHealthReport['upstreams'] = {};
  for (const r of reports)
    for (const [id, u] of Object.entries(r.upstreams)) {
      const into: UpstreamReport = (upstreams[id] ??= {
        healthy: true,
        checked: false,
        targets: {},
        addresses: {},
      });
      into.healthy &&= u.healthy;
      into.checked ||= u.checked;
      for (const [target, health] of Object.entries(u.targets)) {
        const mine = u.addresses?.[target];
        const seen = into.addresses![target];
        if (mine) {
          const list = mergeAddressLists([seen?.list ?? [], mine.list]);
          const dns = seen && seen.dns !== 'DNS_ERROR' ? seen.dns : mine.dns;
          into.addresses![target] = { dns, list };
          into.targets[target] = targetHealthOf(list);
        } else if (into.targets[target] !== 'UNHEALTHY') into.targets[target] = health;
      }
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
