/**
 * One target's health as Kong's healthchecker keeps it: consecutive outcomes counted against
 * the upstream's thresholds, from active probes and from proxied traffic (passive). A target
 * starts healthy; with every threshold 0 nothing is counted (HEALTHCHECKS_OFF).
 */
import type { Upstream } from '../../shared/entities/upstream';

export type Outcome = 'success' | 'http_failure' | 'tcp_failure' | 'timeout';
export type HealthName = 'HEALTHY' | 'UNHEALTHY' | 'HEALTHCHECKS_OFF';

type Checks = Upstream['healthchecks'];

/** When counted outcomes flip a target (0: that outcome is not counted). */
export interface Thresholds {
  successes: number;
  http_failures: number;
  tcp_failures: number;
  timeouts: number;
}

/** Whether this upstream counts anything at all (Kong's is_upstream_using_healthcheck). */
export function checksOn(h: Checks): boolean {
  const a = h.active;
  const p = h.passive;
  return (
    a.healthy.interval > 0 ||
    a.unhealthy.interval > 0 ||
    p.healthy.successes > 0 ||
    p.unhealthy.http_failures > 0 ||
    p.unhealthy.tcp_failures > 0 ||
    p.unhealthy.timeouts > 0
  );
}

export class TargetHealth {
  healthy = true;
  private successes = 0;
  private failures: Record<Exclude<Outcome, 'success'>, number> = {
    http_failure: 0,
    tcp_failure: 0,
    timeout: 0,
  };

  constructor(private readonly onChange: (t: TargetHealth) => void) {}

  /** Counts one outcome against `thresholds` (the active or passive ones); true when health flipped. */
  report(outcome: Outcome, thresholds: Thresholds): boolean {
    if (outcome === 'success') {
      this.failures = { http_failure: 0, tcp_failure: 0, timeout: 0 };
      this.successes++;
      if (!this.healthy && thresholds.successes > 0 && this.successes >= thresholds.successes)
        return this.set(true);
      return false;
    }
    this.successes = 0;
    const n = ++this.failures[outcome];
    const limit =
      outcome === 'http_failure'
        ? thresholds.http_failures
        : outcome === 'tcp_failure'
          ? thresholds.tcp_failures
          : thresholds.timeouts;
    if (this.healthy && limit > 0 && n >= limit) return this.set(false);
    return false;
  }

  /** Set by hand (tests, a future Admin API); counters start over. */
  set(healthy: boolean): boolean {
    this.successes = 0;
    this.failures = { http_failure: 0, tcp_failure: 0, timeout: 0 };
    if (this.healthy === healthy) return false;
    this.healthy = healthy;
    this.onChange(this);
    return true;
  }
}
