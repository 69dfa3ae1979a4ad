/**
 * Secrets rotate without a restart: the served config's vault references are read again every
 * `ttl` seconds of their vault (the shortest one), off the request path; when any value
 * changed, the same snapshot is compiled again with the new secrets and swapped in, exactly as
 * a new config would be. A reference that stops resolving keeps the last good config (and says so).
 */
import type { Snapshot } from '../../shared/snapshot';
import type { VaultResolver } from './vault';

export class VaultRotation {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly recompile: (snapshot: Snapshot) => void,
    private readonly log: (line: string) => void,
  ) {}

  /** Watch what the config now served read from its vaults. */
  watch(snapshot: Snapshot, vaults: VaultResolver, fresh: () => VaultResolver) {
    this.stop();
    const ttls = [...vaults.read.values()].map((r) => r.ttlSeconds).filter((t): t is number => t !== null);
    if (!ttls.length) return;
    this.timer = setInterval(() => this.check(snapshot, vaults, fresh), Math.min(...ttls) * 1000);
    this.timer.unref();
  }

  private check(snapshot: Snapshot, vaults: VaultResolver, fresh: () => VaultResolver) {
    const now = fresh();
    let changed = false;
    try {
      for (const r of vaults.read.values())
        if (r.ttlSeconds !== null && now.resolve(r.ref, 'rotation') !== r.value) changed = true;
    } catch (err) {
      this.log(`vault secrets not refreshed: ${(err as Error).message}`);
      return;
    }
    if (!changed) return;
    try {
      this.recompile(snapshot);
      this.log(`vault secrets rotated: config version ${snapshot.version} recompiled`);
    } catch (err) {
      this.log(`vault secrets rotated but the config does not apply with them: ${(err as Error).message}`);
    }
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
