import { ForeignRef, Rec, Str, Tags, Timestamp, Id } from '../../shared/schema/kong-types';
import type { EntityDefinition } from '../../shared/entities/definition';

/** Kong's `acls`: a consumer's membership of a group, by name. */
export const aclEntity: EntityDefinition = {
  name: 'acls',
  singular: 'acl',
  schema: Rec(
    {
      id: Id(),
      created_at: Timestamp(),
      consumer: ForeignRef(),
      group: Str({ minLength: 1 }),
      tags: Tags(),
    },
    { required: ['consumer', 'group'] },
  ),
  unique: [],
  foreignKeys: [{ field: 'consumer', references: 'consumers', onDelete: 'cascade' }],
  cacheKey: ['consumer', 'group'],
  cacheKeyUnique: true,
  adminApiName: 'acls',
  adminApiNestedName: 'acls',
  nestedUnder: 'consumer',
  deckLabel: 'acl',
};
