/**
 * Which plugin instances run for a request, and in which order (Kong's rules):
 * - one instance per plugin name, the most specific scope wins (consumer+route+service …
 *   global; consumer groups in name order);
 * - access phase: static priority, adjusted by `ordering.before/after.access`;
 * - other phases: static priority.
 * The per-route part is computed once per route per snapshot; consumer-scoped instances are
 * looked up (a handful of map reads) once the consumer is known.
 */
import { ApplyError, type Entity } from './entity';
import { mustPrecede as guardOrder } from '../../shared/plugins/order-rules';
import { VaultResolver } from './vault';
import type { CompileEnv, PluginHandler, PluginInstance, RequestContextApi } from './plugin-api';

const key = (c?: string, g?: string, r?: string, s?: string) => `${c ?? ''}|${g ?? ''}|${r ?? ''}|${s ?? ''}`;

export interface Slot {
  name: string;
  priority: number;
  /** Best instance without consumer scopes (route+service, route, service, global). */
  base: PluginInstance | null;
  /** Some instance of this name is scoped to a consumer or consumer group. */
  consumerScoped: boolean;
}

export interface RouteChain {
  /** Access-phase order. */
  slots: Slot[];
  needsRequestBody: boolean;
  /** Some plugin of the route authenticates (auth-common.ts). */
  hasAuth: boolean;
}

export class PluginChains {
  private readonly byName = new Map<string, Map<string, PluginInstance>>();
  private readonly consumerScoped = new Set<string>();
  private readonly priorities = new Map<string, number>();
  private readonly routeChains = new Map<string, RouteChain>();
  private readonly anyBody: boolean;

  constructor(
    plugins: Entity[],
    handlers: Map<string, PluginHandler>,
    env: CompileEnv,
    vaults: VaultResolver = new VaultResolver({ vaults: [] }, env.env),
  ) {
    let anyBody = false;
    for (const p of plugins) {
      if (p.enabled === false) continue;
      const handler = handlers.get(p.name);
      if (!handler) throw new ApplyError(`no handler for plugin '${p.name}' on this data plane`);
      let instance: PluginInstance;
      try {
        // Secrets are resolved here, from this data plane's vaults, once per snapshot.
        const config = vaults.resolve(p.config, `plugin ${p.name} (${p.instance_name ?? p.id})`);
        instance = handler.create({ ...p, config }, env);
      } catch (err) {
        if (err instanceof ApplyError) throw err;
        throw new ApplyError(`plugin ${p.name} (${p.id}): ${(err as Error).message}`);
      }
      anyBody ||= !!instance.needsRequestBody;
      const k = key(p.consumer?.id, p.consumer_group?.id, p.route?.id, p.service?.id);
      if (!this.byName.has(p.name)) this.byName.set(p.name, new Map());
      this.byName.get(p.name)!.set(k, instance);
      this.priorities.set(p.name, instance.priority);
      if (p.consumer || p.consumer_group) this.consumerScoped.add(p.name);
    }
    this.anyBody = anyBody;
  }

  get empty(): boolean {
    return this.byName.size === 0;
  }

  /** The access-phase chain of a route (memoized for the snapshot's lifetime). */
  forRoute(route: Entity, service: Entity | undefined): RouteChain {
    const cached = this.routeChains.get(route.id);
    if (cached) return cached;
    const r = route.id;
    const s = service?.id;
    const slots: Slot[] = [];
    for (const [name, instances] of this.byName) {
      const base =
        instances.get(key(undefined, undefined, r, s)) ??
        instances.get(key(undefined, undefined, r)) ??
        instances.get(key(undefined, undefined, undefined, s)) ??
        instances.get(key()) ??
        null;
      if (!base && !this.consumerScoped.has(name)) continue;
      slots.push({
        name,
        priority: this.priorities.get(name)!,
        base,
        consumerScoped: this.consumerScoped.has(name),
      });
    }
    const chain: RouteChain = {
      slots: orderSlots(slots),
      hasAuth: slots.some((sl) => sl.base?.authenticates || (sl.consumerScoped && this.anyAuthFor(sl.name))),
      needsRequestBody:
        this.anyBody &&
        slots.some((sl) => sl.base?.needsRequestBody || (sl.consumerScoped && this.anyBodyFor(sl.name))),
    };
    this.routeChains.set(route.id, chain);
    return chain;
  }

  private anyAuthFor(name: string): boolean {
    return [...(this.byName.get(name)?.values() ?? [])].some((i) => i.authenticates);
  }

  private anyBodyFor(name: string): boolean {
    return [...(this.byName.get(name)?.values() ?? [])].some((i) => i.needsRequestBody);
  }

  /** The instance of `slot` for this request, given the consumer known so far. */
  resolve(slot: Slot, ctx: RequestContextApi): PluginInstance | null {
    if (!slot.consumerScoped || (!ctx.consumer && !ctx.consumerGroups.length)) return slot.base;
    const m = this.byName.get(slot.name)!;
    const c = ctx.consumer?.id;
    const r = ctx.route.id;
    const s = ctx.service?.id;
    const groups = ctx.consumerGroups.map((g) => g.id as string); // already in name order
    const viaGroups = (rr?: string, ss?: string) => {
      for (const g of groups) {
        const hit = m.get(key(undefined, g, rr, ss));
        if (hit) return hit;
      }
      return undefined;
    };
    return (
      (c && m.get(key(c, undefined, r, s))) ||
      viaGroups(r, s) ||
      (c && m.get(key(c, undefined, r))) ||
      (c && m.get(key(c, undefined, undefined, s))) ||
      viaGroups(r) ||
      viaGroups(undefined, s) ||
      m.get(key(undefined, undefined, r, s)) ||
      (c && m.get(key(c))) ||
      viaGroups() ||
      m.get(key(undefined, undefined, r)) ||
      m.get(key(undefined, undefined, undefined, s)) ||
      m.get(key()) ||
      null
    );
  }
}

/**
 * Static priority (higher first), then `ordering`: `before.access: [x]` on A puts A ahead of x,
 * `after.access: [x]` puts A behind x. A topological sort that always picks the highest-priority
 * plugin whose constraints allow it; a cycle is an apply error.
 */
function orderSlots(slots: Slot[]): Slot[] {
  const sorted = [...slots].sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
  try {
    return topological(sorted, true);
  } catch (err) {
    // `ordering` fights a guard's order (transitively: direct contradictions are refused when
    // written): the guards win, `ordering` is set aside for this route.
    if (!(err instanceof ApplyError)) throw err;
    return topological(sorted, false);
  }
}

function topological(sorted: Slot[], withOrdering: boolean): Slot[] {
  const names = new Set(sorted.map((s) => s.name));
  const mustPrecede = new Map<string, Set<string>>(); // name → names that must run before it
  for (const s of sorted) mustPrecede.set(s.name, new Set());
  // The guards' rules (shared/plugins/order-rules.ts) hold whatever `ordering` says.
  for (const a of sorted)
    for (const b of sorted) if (a !== b && guardOrder(a.name, b.name)) mustPrecede.get(b.name)!.add(a.name);
  for (const s of withOrdering ? sorted : []) {
    const ordering = s.base?.entity.ordering;
    if (!ordering) continue;
    for (const other of ordering.before?.access ?? [])
      if (names.has(other)) mustPrecede.get(other)!.add(s.name);
    for (const other of ordering.after?.access ?? [])
      if (names.has(other)) mustPrecede.get(s.name)!.add(other);
  }
  const out: Slot[] = [];
  const done = new Set<string>();
  while (out.length < sorted.length) {
    const next = sorted.find(
      (s) => !done.has(s.name) && [...mustPrecede.get(s.name)!].every((n) => done.has(n)),
    );
    if (!next) {
      const left = sorted.filter((s) => !done.has(s.name)).map((s) => s.name);
      throw new ApplyError(`plugin ordering has a cycle among: ${left.join(', ')}`);
    }
    out.push(next);
    done.add(next.name);
  }
  return out;
}
