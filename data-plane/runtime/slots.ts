/**
 * Typed slots: how plugins and the modules they drive hand each other state within one request
 * (or one process), instead of string keys on `kong.ctx.shared`.
 *
 * A slot is an object, not a name: only code that imports it can read or write it. That keeps
 * the gateway's own state (the MCP exchange, the tool gates, validated token claims, the body
 * ai-mcp-proxy judged) out of reach of configuration: datakit's `kong.ctx.shared.*` properties
 * and the transformers' templates address `ctx.shared`, a plain map they cannot use to reach a
 * slot. The name is for error messages and debugging only.
 */
export interface Slot<T> {
  readonly name: string;
  /** Carries the value type; never set. */
  readonly __value?: T;
}

export function defineSlot<T>(name: string): Slot<T> {
  return Object.freeze({ name }) as Slot<T>;
}

/** The values of slots, for one request (`ctx.slots`) or one process (`runtime.keep`). */
export class SlotValues {
  private readonly values = new Map<Slot<unknown>, unknown>();

  get<T>(slot: Slot<T>): T | undefined {
    return this.values.get(slot) as T | undefined;
  }

  set<T>(slot: Slot<T>, value: T): void {
    this.values.set(slot, value);
  }

  /** The slot's value, created by `init` the first time. */
  keep<T>(slot: Slot<T>, init: () => T): T {
    if (!this.values.has(slot)) this.values.set(slot, init());
    return this.values.get(slot) as T;
  }
}
