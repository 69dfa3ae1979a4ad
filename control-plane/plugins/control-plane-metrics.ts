/**
 * The control plane's Prometheus registry (served by clustering/metrics.controller.ts): core
 * gauges and whatever plugins register, each refreshed once per scrape.
 */
import { Injectable } from '@nestjs/common';
import { Registry } from 'prom-client';

@Injectable()
export class ControlPlaneMetrics {
  readonly registry = new Registry();
  private readonly refreshers: (() => Promise<void>)[] = [];

  /** Run before every scrape (read state once, set the gauges). */
  onScrape(refresh: () => Promise<void>): void {
    this.refreshers.push(refresh);
  }

  async text(): Promise<string> {
    for (const refresh of this.refreshers) await refresh();
    return this.registry.metrics();
  }
}
