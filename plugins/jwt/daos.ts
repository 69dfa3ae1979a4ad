/** jwt's entity: `jwt_secrets` (Kong's daos.lua): a key the token names and what verifies it. */
import { createPublicKey, randomBytes } from 'node:crypto';
import { Enum, ForeignRef, Nullable, Rec, Str, Tags, Timestamp, Id } from '../../shared/schema/kong-types';
import type { EntityDefinition } from '../../shared/entities/definition';
import type { FieldError } from '../../shared/schema/validator';

export const JWT_ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
] as const;

export const jwtSecretEntity: EntityDefinition = {
  name: 'jwt_secrets',
  singular: 'jwt_secret',
  schema: Rec(
    {
      id: Id(),
      created_at: Timestamp(),
      consumer: ForeignRef(),
      key: Str({ minLength: 1, auto: true }),
      secret: Str({ minLength: 1, auto: true, referenceable: true }),
      rsa_public_key: Nullable(Str()),
      algorithm: Enum(JWT_ALGORITHMS, { default: 'HS256' }),
      tags: Tags(),
    },
    { required: ['consumer'] },
  ),
  endpointKey: 'key',
  unique: ['key'],
  foreignKeys: [{ field: 'consumer', references: 'consumers', onDelete: 'cascade' }],
  cacheKey: ['key'],
  adminApiName: 'jwts',
  adminApiNestedName: 'jwt',
  nestedUnder: 'consumer',
  deckLabel: 'jwt',
  secretFields: ['secret'],
  // Kong: an asymmetric algorithm needs a public key it can read.
  check: (c) => {
    const errors: FieldError[] = [];
    if (String(c.algorithm ?? 'HS256').startsWith('HS')) return errors;
    if (!c.rsa_public_key) errors.push({ path: ['rsa_public_key'], message: 'required field missing' });
    else
      try {
        createPublicKey(c.rsa_public_key);
      } catch {
        errors.push({ path: ['rsa_public_key'], message: 'invalid key' });
      }
    return errors;
  },
  generate: (c) => {
    if (c.key === undefined || c.key === null) c.key = randomBytes(16).toString('hex');
    if (c.secret === undefined || c.secret === null) c.secret = randomBytes(16).toString('hex');
  },
};
