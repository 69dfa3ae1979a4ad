/**
 * What plugins add to the cluster link, without the transport naming any of them: reports data
 * planes send in analytics batches (by kind, stored by the plugin that registered the kind), and
 * state the control plane keeps for data planes (by kind: sent on hello and whenever it changes).
 */
import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';

export type ReportHandler = (nodeId: string, items: unknown[]) => Promise<void>;

@Injectable()
export class ClusterExtensions {
  private readonly log = new Logger('Cluster');
  private readonly reports = new Map<string, ReportHandler>();
  private readonly states = new Map<string, unknown>();
  /** `state` (kind, state) when a kind's state changed: sent to every data plane. */
  readonly events = new EventEmitter();

  /** The plugin that stores reports of `kind` (one per kind). */
  onReport(kind: string, handler: ReportHandler): void {
    if (this.reports.has(kind)) throw new Error(`cluster reports '${kind}' already have a handler`);
    this.reports.set(kind, handler);
  }

  /** A batch's reports, each kind to its handler; kinds nobody registered are dropped. */
  async report(nodeId: string, reports: Record<string, unknown[]> | undefined): Promise<void> {
    for (const [kind, items] of Object.entries(reports ?? {})) {
      const handler = this.reports.get(kind);
      if (!handler) {
        this.log.warn(`data plane ${nodeId}: reports of unknown kind '${kind}' dropped`);
        continue;
      }
      if (Array.isArray(items) && items.length) await handler(nodeId, items);
    }
  }

  /** The new state of `kind`, for every data plane now and every one that connects later. */
  publish(kind: string, state: unknown): void {
    this.states.set(kind, state);
    this.events.emit('state', kind, state);
  }

  /** Every kind's current state (what a data plane is told when it says hello). */
  currentStates(): [string, unknown][] {
    return [...this.states];
  }
}
