/** hmac-auth's entity: `hmacauth_credentials` (Kong's daos.lua); the secret signs, so it is kept. */
import { randomBytes } from 'node:crypto';
import { ForeignRef, Rec, Str, Tags, Timestamp, Id } from '../../shared/schema/kong-types';
import type { EntityDefinition } from '../../shared/entities/definition';

export const hmacauthCredentialEntity: EntityDefinition = {
  name: 'hmacauth_credentials',
  singular: 'hmacauth_credential',
  schema: Rec(
    {
      id: Id(),
      created_at: Timestamp(),
      consumer: ForeignRef(),
      username: Str({ minLength: 1 }),
      secret: Str({ minLength: 1, auto: true, referenceable: true }),
      tags: Tags(),
    },
    { required: ['consumer', 'username'] },
  ),
  endpointKey: 'username',
  unique: ['username'],
  foreignKeys: [{ field: 'consumer', references: 'consumers', onDelete: 'cascade' }],
  cacheKey: ['username'],
  adminApiName: 'hmac-auths',
  adminApiNestedName: 'hmac-auth',
  nestedUnder: 'consumer',
  deckLabel: 'hmac-auth',
  secretFields: ['secret'],
  // Kong generates a random secret when none is given.
  generate: (c) => {
    if (c.secret === undefined || c.secret === null) c.secret = randomBytes(24).toString('base64url');
  },
};
