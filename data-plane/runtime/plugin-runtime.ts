/**
 * What plugins have beyond one snapshot, in one proxying process: state kept for the process's
 * lifetime, reports to the control plane (in the analytics outbox: durable, batched, resent
 * until acknowledged) and the state the control plane pushes them over the cluster link. The
 * core carries these by kind without knowing what they mean.
 */
import type { Registry } from 'prom-client';
import type { PluginRuntime } from './plugin-api';
import { SlotValues, type Slot } from './slots';

export class ProcessPluginRuntime implements PluginRuntime {
  private readonly kept = new SlotValues();
  private readonly states = new Map<string, unknown>();
  private readonly closers: (() => Promise<void> | void)[] = [];

  constructor(
    readonly metrics: Registry,
    private readonly sink?: (kind: string, data: unknown) => boolean,
  ) {}

  keep<T>(slot: Slot<T>, init: () => T): T {
    return this.kept.keep(slot, init);
  }

  report(kind: string, data: unknown): boolean {
    return this.sink ? this.sink(kind, data) : true;
  }

  clusterState(kind: string): unknown {
    return this.states.get(kind);
  }

  setClusterState(kind: string, state: unknown): void {
    this.states.set(kind, state);
  }

  onClose(fn: () => Promise<void> | void): void {
    this.closers.push(fn);
  }

  async close(): Promise<void> {
    await Promise.all(this.closers.splice(0).map(async (fn) => fn()));
  }
}
