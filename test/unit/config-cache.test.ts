import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigCache } from '../../data-plane/clustering/config-cache';
import { hashConfig, type SnapshotConfig } from '../../shared/snapshot';
import { EMPTY_CONFIG } from '../../cli/deck/empty';

const config = {
  ...EMPTY_CONFIG,
  services: [{ id: 'a', name: 'svc', host: 'h', port: 80, protocol: 'http' }],
} as unknown as SnapshotConfig;

test('a written snapshot loads back verified', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cache-'));
  const cache = new ConfigCache(dir);
  assert.deepEqual(cache.load(), { snapshot: null });
  const snap = { version: 7, hash: hashConfig(config).hash, config };
  cache.write(snap);
  const loaded = cache.load();
  assert.ok(loaded.snapshot);
  assert.deepEqual(
    { version: loaded.snapshot.version, hash: loaded.snapshot.hash, config: loaded.snapshot.config },
    snap,
  );
});

test('a corrupt or tampered cache is reported and ignored', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cache-'));
  const cache = new ConfigCache(dir);
  cache.write({ version: 7, hash: hashConfig(config).hash, config });
  const text = readFileSync(cache.file, 'utf8');
  writeFileSync(cache.file, text.replace('"svc"', '"evil"'));
  const tampered = cache.load();
  assert.equal(tampered.snapshot, null);
  assert.match((tampered as any).problem, /checksum mismatch/);
  writeFileSync(cache.file, text.slice(0, text.length / 2));
  const torn = cache.load();
  assert.equal(torn.snapshot, null);
  assert.match((torn as any).problem, /corrupt/);
});
