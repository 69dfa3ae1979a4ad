/**
 * The README's configuration table lists every environment variable the product reads, and
 * nothing it does not: the source is scanned for `env.TOLLGATE_*` / `env['TOLLGATE_*']` reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
/** Read between the product's own processes, never set by a user. */
const INTERNAL = new Set(['TOLLGATE_PARENT_IPC', 'TOLLGATE_DP_WORKER_INDEX']);

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.ts$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

test('every variable the code reads is in the README configuration table, and only those', () => {
  const read = new Set<string>();
  for (const dir of ['control-plane', 'data-plane', 'shared', 'cli', 'plugins'])
    for (const file of sources(join(ROOT, dir))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/env(?:\.|\[['"`])(TOLLGATE_[A-Z0-9_]+|DATABASE_URL)(?![A-Z0-9_$])/g))
        read.add(m[1]);
      // A computed name (TOLLGATE_AI_<PROVIDER>_URL) is documented by its pattern.
      if (/`TOLLGATE_AI_\$\{/.test(text)) read.add('TOLLGATE_AI_<PROVIDER>_URL');
    }
  for (const v of INTERNAL) read.delete(v);
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('## Configuration'),
    readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5),
  );
  const table = new Set(
    section
      .split('\n')
      .filter((l) => l.startsWith('|'))
      .flatMap((l) => [...l.split('|')[2].matchAll(/`([A-Z][A-Z0-9_<>]+)`/g)].map((m) => m[1])),
  );
  table.delete('TOLLGATE_DB_PASSWORD'); // read by docker-compose.yml, not by the code
  assert.ok(read.size > 20, `only ${read.size} variables found: the scan is broken`);
  assert.deepEqual(
    [...read].filter((v) => !table.has(v)).sort(),
    [],
    'read by the code, missing from the table',
  );
  assert.deepEqual([...table].filter((v) => !read.has(v)).sort(), [], 'in the table, never read');
});
