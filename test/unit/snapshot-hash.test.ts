import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from '../../shared/canonical-json';
import { decodeSnapshotText, encodeSnapshotText, hashConfig } from '../../shared/snapshot';

test('canonical JSON sorts keys at every level and keeps array order', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }),
    '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
  );
  assert.equal(canonicalJson({ a: undefined, b: 'x' }), '{"b":"x"}');
});

test('snapshot text round-trips and refuses tampering', () => {
  const config: any = { _format_version: '3.0', services: [{ id: 's', name: 'n' }], routes: [] };
  const { canonical, hash } = hashConfig(config);
  const text = encodeSnapshotText(4, hash, canonical, true);
  const back = decodeSnapshotText(text);
  assert.equal(back.version, 4);
  assert.deepEqual(back.config, config);
  assert.throws(() => decodeSnapshotText(text.replace('"n"', '"m"')), /checksum mismatch/);
  assert.throws(() => decodeSnapshotText('{"version":1}'), /not a snapshot/);
});
