/**
 * The answers this process balances on, per hostname, kept as Kong's DNS cache keeps them: an
 * answer is used until its TTL runs out and is then asked again; while asking fails (a server
 * down, a timeout) the last good answer is still used, for `dns_stale_ttl` past its expiry; a
 * name that does not exist is remembered for `dns_not_found_ttl`, a failure retried after
 * `dns_error_ttl`. A TTL of 0 is asked again every second (Kong resolves those per request; a
 * second bounds the cost and the staleness both).
 */
import type { DnsOptions } from './dns-options';
import type { DnsResolver, Resolution } from './dns-resolver';

interface NameEntry {
  current: Resolution;
  lastGood?: Resolution & { ok: true };
  /** ms since the epoch. */
  refreshAt: number;
  staleUntil: number;
  refreshing?: Promise<boolean>;
  /** Answered at least once (well or not): a config no longer waits for it. */
  settled: boolean;
}

const MIN_REFRESH_S = 1;

export class ResolvedNames {
  private readonly names = new Map<string, NameEntry>();
  /** Bumped whenever an answer in use changes (balancers built before it are rebuilt). */
  version = 0;
  /** Called after an answer in use changed. */
  onChange: () => void = () => undefined;

  constructor(
    private readonly resolver: Pick<DnsResolver, 'resolve'>,
    private readonly options: Pick<DnsOptions, 'staleTtl' | 'notFoundTtl' | 'errorTtl'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The answer in use for a name, or undefined when it has not been asked yet. */
  get(name: string): Resolution | undefined {
    return this.names.get(name.toLowerCase())?.current;
  }

  /**
   * Asks for every name not asked yet and waits for the first answers, at most `waitMs`: a name
   * whose servers do not answer goes on being asked in the background (onChange tells when it
   * lands), and a name answered once is never waited for again (a config apply does not wait on
   * the refresh of a name whose servers are down).
   */
  async ensure(names: Iterable<string>, waitMs: number): Promise<void> {
    const pending: Promise<boolean>[] = [];
    for (const name of names) {
      const entry = this.names.get(name.toLowerCase());
      if (!entry) pending.push(this.refresh(name));
      else if (entry.refreshing && !entry.settled) pending.push(entry.refreshing);
    }
    if (!pending.length) return;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
    await Promise.race([Promise.all(pending), waited]);
    clearTimeout(timer);
  }

  /** Names whose answer is due to be asked again. */
  due(names: Iterable<string>): string[] {
    const now = this.now();
    const out: string[] = [];
    for (const name of names) {
      const entry = this.names.get(name.toLowerCase());
      if (!entry || (!entry.refreshing && entry.refreshAt <= now)) out.push(name);
    }
    return out;
  }

  /** Asks again; true when the answer in use changed. One question per name at a time. */
  refresh(name: string): Promise<boolean> {
    const key = name.toLowerCase();
    const entry = this.names.get(key);
    if (entry?.refreshing) return entry.refreshing;
    const refreshing = this.resolver
      .resolve(name)
      .catch((err: Error): Resolution => ({ ok: false, notFound: false, error: err.message }))
      .then((r) => this.store(key, r));
    if (entry) entry.refreshing = refreshing;
    else
      this.names.set(key, {
        current: { ok: false, notFound: false, error: `${name}: not resolved yet` },
        refreshAt: 0,
        staleUntil: 0,
        refreshing,
        settled: false,
      });
    return refreshing;
  }

  private store(key: string, r: Resolution): boolean {
    const entry = this.names.get(key);
    if (!entry) return false; // forgotten meanwhile
    entry.refreshing = undefined;
    entry.settled = true;
    const now = this.now();
    const before = signature(entry.current);
    if (r.ok) {
      entry.current = entry.lastGood = r;
      entry.refreshAt = now + Math.max(r.ttl, MIN_REFRESH_S) * 1000;
      entry.staleUntil = entry.refreshAt + this.options.staleTtl * 1000;
    } else if (r.notFound) {
      entry.current = r;
      entry.lastGood = undefined;
      entry.refreshAt = now + Math.max(this.options.notFoundTtl, MIN_REFRESH_S) * 1000;
    } else {
      entry.current = entry.lastGood && now < entry.staleUntil ? entry.lastGood : r;
      entry.refreshAt = now + Math.max(this.options.errorTtl, MIN_REFRESH_S) * 1000;
    }
    const changed = signature(entry.current) !== before;
    if (changed) {
      this.version++;
      this.onChange();
    }
    return changed;
  }

  /** Drops every name not in use any more. */
  keepOnly(names: Set<string>) {
    for (const key of this.names.keys()) if (!names.has(key)) this.names.delete(key);
  }
}

/** What balancing depends on: the addresses and their ports and weights (not TTLs or texts). */
function signature(r: Resolution): string {
  if (!r.ok) return 'none';
  const list = r.addresses.map((a) => `${a.ip}|${a.port ?? ''}|${a.weight ?? ''}`).sort();
  return `${r.type}:${list.join(',')}`;
}
