/**
 * Kong's `keys`: a key in JWK (a JSON string whose `kid` is the key's) or PEM form (a public
 * and/or private key), optionally in a key set; private material is a secret.
 */
import type { Static } from '@sinclair/typebox';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { ForeignRef, Id, Nullable, Referenceable, Rec, Str, Tags, Timestamp } from '../schema/kong-types';
import type { FieldError } from '../schema/validator';
import { ENTITY_CHECK } from '../errors';
import type { EntityDefinition } from './definition';
import { isReference } from './pem';

const keySchema = Rec(
  {
    id: Id(),
    set: Nullable(ForeignRef('key_sets')),
    name: Nullable(Str()),
    kid: Str(),
    jwk: Nullable(Referenceable({ encrypted: true })),
    pem: Nullable(
      Rec({
        private_key: Nullable(Referenceable({ encrypted: true })),
        public_key: Nullable(Referenceable()),
      }),
    ),
    tags: Tags(),
    created_at: Timestamp(),
    updated_at: Timestamp(),
  },
  { required: ['kid'] },
);

const entity = (message: string): FieldError[] => [{ path: [ENTITY_CHECK], message }];

function checkJwk(k: Record<string, any>): FieldError[] {
  if (isReference(k.jwk)) return [];
  let jwk: any;
  try {
    jwk = JSON.parse(k.jwk);
  } catch {
    return entity('could not json decode jwk string');
  }
  if (!jwk || typeof jwk !== 'object') return entity('could not json decode jwk string');
  if (jwk.kid !== k.kid) return entity('kid in jwk.kid must be equal to keys.kid');
  try {
    if (jwk.kty !== 'oct') createPublicKey({ key: jwk, format: 'jwk' });
    else if (typeof jwk.k !== 'string') throw new Error('missing k');
  } catch {
    return entity('could not load JWK');
  }
  return [];
}

function checkPem(pem: Record<string, any>): FieldError[] {
  if (!pem.private_key && !pem.public_key)
    return entity('need to supply a PEM formatted public and/or private key.');
  const errors: FieldError[] = [];
  if (pem.private_key && !isReference(pem.private_key))
    try {
      createPrivateKey(pem.private_key);
    } catch {
      errors.push({ path: ['pem', 'private_key'], message: 'invalid key' });
    }
  if (pem.public_key && !isReference(pem.public_key))
    try {
      createPublicKey(pem.public_key);
    } catch {
      errors.push({ path: ['pem', 'public_key'], message: 'invalid key' });
    }
  return errors;
}

function checkKey(k: Record<string, any>): FieldError[] {
  if (k.jwk != null && k.pem != null)
    return entity("only one of these fields must be non-empty: 'jwk', 'pem'");
  if (k.jwk == null && k.pem == null)
    return entity("at least one of these fields must be non-empty: 'jwk', 'pem'");
  return k.jwk != null ? checkJwk(k) : checkPem(k.pem);
}

export type Key = Static<typeof keySchema>;
export const keyEntity: EntityDefinition = {
  name: 'keys',
  singular: 'key',
  schema: keySchema,
  endpointKey: 'name',
  unique: ['name'],
  foreignKeys: [{ field: 'set', references: 'key_sets', onDelete: 'cascade' }],
  check: checkKey,
  secretFields: ['jwk'],
  adminApiName: 'keys',
};
