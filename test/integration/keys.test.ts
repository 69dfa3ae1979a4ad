/** Kong's keys and key sets through the Admin API: JWK and PEM keys, Kong's checks, a set's keys. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mustCreate, startStack, type Stack } from '../helpers/stack';
import { runTollgate } from '../helpers/process';
import { deckEnv, syncCleanly } from '../helpers/deck';

let s: Stack;
before(async () => {
  s = await startStack();
});
after(async () => {
  await s?.close();
});

test('keys: a JWK whose kid is the key’s, or PEM keys; one of the two; in a set, gone with it', async () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1' };
  const set = await mustCreate(s.api, '/key-sets', { name: 'signing' });
  const key = await mustCreate(s.api, '/keys', {
    name: 'jwk-key',
    kid: 'k1',
    jwk: JSON.stringify(jwk),
    // Kong reads a reference's id only: Kong Manager sends the whole set.
    set,
  });
  assert.equal(key.set.id, set.id);
  const wrongKid = await s.api('POST', '/keys', { kid: 'other', jwk: JSON.stringify(jwk) });
  assert.deepEqual(wrongKid.body.fields['@entity'], ['kid in jwk.kid must be equal to keys.kid']);
  const both = await s.api('POST', '/keys', {
    kid: 'k1',
    jwk: JSON.stringify(jwk),
    pem: { public_key: publicKey.export({ type: 'spki', format: 'pem' }) },
  });
  assert.deepEqual(both.body.fields['@entity'], ["only one of these fields must be non-empty: 'jwk', 'pem'"]);
  const pem = await mustCreate(s.api, '/key-sets/signing/keys', {
    name: 'pem-key',
    kid: 'k2',
    pem: { private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }) },
  });
  assert.equal(pem.set.id, set.id);
  assert.equal((await s.api('GET', '/key-sets/signing/keys')).body.data.length, 2);
  assert.equal((await s.api('GET', '/keys/pem-key')).body.kid, 'k2');
  assert.equal((await s.api('DELETE', '/key-sets/signing')).status, 204);
  assert.equal((await s.api('GET', '/keys')).body.data.length, 0, 'a set’s keys go with it');
});

test('decK: key sets and their keys (by set name) sync, diff clean and dump back', async () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = JSON.stringify({ ...publicKey.export({ format: 'jwk' }), kid: 'deck-kid' });
  const { dir, stdout } = await syncCleanly(s, [
    '_format_version: "3.0"',
    '_info: { select_tags: [keys] }',
    'key_sets:',
    '  - name: deck-set',
    'keys:',
    '  - name: deck-key',
    '    kid: deck-kid',
    `    jwk: '${jwk}'`,
    '    set: deck-set',
  ]);
  assert.match(stdout, /creating key_set deck-set/);
  assert.match(stdout, /creating key deck-key/);
  assert.equal((await s.api('GET', '/key-sets/deck-set/keys')).body.data[0].kid, 'deck-kid');
  const dump = await runTollgate(['dump', '--select-tag', 'keys', '-o', join(dir, 'dump.yaml')], {
    env: deckEnv(s),
  });
  assert.equal(dump.code, 0, dump.stderr);
  assert.match(readFileSync(join(dir, 'dump.yaml'), 'utf8'), /set: deck-set/);
  const again = await runTollgate(['diff', join(dir, 'dump.yaml'), '--non-zero-exit-code'], {
    env: deckEnv(s),
  });
  assert.equal(again.code, 0, again.stdout + again.stderr);
});
