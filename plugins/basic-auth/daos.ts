/** basic-auth's entity: `basicauth_credentials` (Kong's daos.lua), passwords stored hashed. */
import { ForeignRef, Rec, Str, Tags, Timestamp, Id } from '../../shared/schema/kong-types';
import type { EntityDefinition } from '../../shared/entities/definition';
import { hashPassword, isHashedPassword, verifyPasswordSync } from './password';

const basicauthCredentialSchema = Rec(
  {
    id: Id(),
    created_at: Timestamp(),
    consumer: ForeignRef(),
    username: Str({ minLength: 1 }),
    password: Str({ minLength: 1 }),
    tags: Tags(),
  },
  { required: ['consumer', 'username', 'password'] },
);

export const basicauthCredentialEntity: EntityDefinition = {
  name: 'basicauth_credentials',
  singular: 'basicauth_credential',
  schema: basicauthCredentialSchema,
  endpointKey: 'username',
  unique: ['username'],
  foreignKeys: [{ field: 'consumer', references: 'consumers', onDelete: 'cascade' }],
  cacheKey: ['username'],
  adminApiName: 'basic-auths',
  adminApiNestedName: 'basic-auth',
  nestedUnder: 'consumer',
  deckLabel: 'basic-auth',
  secretFields: ['password'],
  // Kong's transformation: the password is hashed whenever one is written. A write that carries
  // the stored hash back unchanged (a PATCH of other fields, a decK dump synced back) keeps it.
  onWrite: async (c, existing) => {
    if (existing && c.password === existing.password && isHashedPassword(c.password)) return;
    c.password = await hashPassword(c.password);
  },
  sameAsStored: (target, stored) =>
    target.password !== stored.password &&
    isHashedPassword(stored.password) &&
    verifyPasswordSync(target.password, stored.password)
      ? { ...target, password: stored.password }
      : target,
};
