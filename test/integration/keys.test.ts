/** Kong's keys and key sets through the Admin API: JWK and PEM keys, Kong's checks, a set's keys. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mustCreate, startStack, type Stack } from '../helpers/stack';

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
