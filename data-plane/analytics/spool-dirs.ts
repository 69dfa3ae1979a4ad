/**
 * Unacknowledged batches are kept when the process layout changes: a data plane run with fewer
 * workers (or none) than before adopts the batches of the spools that no longer exist.
 */
import { existsSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from '../../shared/private-files';

/** Spool of one process: `analytics/` alone, or `analytics/worker-<i>` of `workers`. */
export function spoolDir(analyticsDir: string, worker?: number): string {
  return worker === undefined ? analyticsDir : join(analyticsDir, `worker-${worker}`);
}

/** Move batches of spools not in this layout into `into`. */
export function adoptOrphanBatches(analyticsDir: string, workers: number, into: string): void {
  if (!existsSync(analyticsDir)) return;
  ensurePrivateDir(into);
  const live = new Set(
    workers > 1 ? Array.from({ length: workers }, (_, i) => spoolDir(analyticsDir, i + 1)) : [analyticsDir],
  );
  const dirs = [
    analyticsDir,
    ...readdirSync(analyticsDir)
      .filter((d) => /^worker-\d+$/.test(d))
      .map((d) => join(analyticsDir, d)),
  ];
  for (const dir of dirs) {
    if (live.has(dir) || !existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (f.endsWith('.batch')) renameSync(join(dir, f), join(into, f));
  }
}
