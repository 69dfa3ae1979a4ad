import { randomBytes } from 'node:crypto';
import { ForeignRef, Int, Nullable, Rec, Str, Tags, Timestamp, Id } from '../../shared/schema/kong-types';
import type { EntityDefinition } from '../../shared/entities/definition';

const keyauthCredentialSchema = Rec(
  {
    id: Id(),
    created_at: Timestamp(),
    consumer: ForeignRef(),
    key: Str({ minLength: 1, auto: true, referenceable: true }),
    ttl: Nullable(Int({ minimum: 0, maximum: 100000000 })),
    tags: Tags(),
  },
  { required: ['consumer'] },
);

export const keyauthCredentialEntity: EntityDefinition = {
  name: 'keyauth_credentials',
  singular: 'keyauth_credential',
  schema: keyauthCredentialSchema,
  endpointKey: 'key',
  unique: ['key'],
  foreignKeys: [{ field: 'consumer', references: 'consumers', onDelete: 'cascade' }],
  cacheKey: ['key'],
  adminApiName: 'key-auths',
  adminApiNestedName: 'key-auth',
  nestedUnder: 'consumer',
  deckLabel: 'key-auth',
  secretFields: ['key'],
  // Kong generates 32 random hex characters when no key is given.
  generate: (c) => {
    if (c.key === undefined || c.key === null) c.key = randomBytes(16).toString('hex');
  },
};
