/** A decK file as a Kong user writes it, synced with `tollgate sync` and checked with a clean diff. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTollgate } from './process';
import type { Stack } from './stack';

/** The CLI's environment for this stack's control plane. */
export const deckEnv = (s: Stack) => ({ TOLLGATE_ADMIN_URL: s.cp.url, TOLLGATE_ADMIN_TOKEN: undefined });

/**
 * `lines` (a decK file) written to a folder of its own, synced, and diffed clean; the sync's
 * output and the folder come back (a dump may be written beside it).
 */
export async function syncCleanly(s: Stack, lines: string[]): Promise<{ dir: string; stdout: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'deck-'));
  const file = join(dir, 'kong.yaml');
  writeFileSync(file, [...lines, ''].join('\n'));
  const env = deckEnv(s);
  const sync = await runTollgate(['sync', file], { env });
  assert.equal(sync.code, 0, sync.stderr);
  const diff = await runTollgate(['diff', file, '--non-zero-exit-code'], { env });
  assert.equal(diff.code, 0, diff.stdout + diff.stderr);
  return { dir, stdout: sync.stdout };
}
