import type { Static } from '@sinclair/typebox';
import { Id, Nullable, Rec, Str, Tags, Timestamp } from '../schema/kong-types';
import { ENTITY_CHECK } from '../errors';
import type { EntityDefinition } from './definition';

const consumerSchema = Rec({
  id: Id(),
  created_at: Timestamp(),
  updated_at: Timestamp(),
  username: Nullable(Str({ minLength: 1 })),
  custom_id: Nullable(Str({ minLength: 1 })),
  tags: Tags(),
});

/** A consumer as stored and as in a snapshot: validated, defaults filled (every field present). */
export type Consumer = Static<typeof consumerSchema>;
export const consumerEntity: EntityDefinition = {
  name: 'consumers',
  singular: 'consumer',
  schema: consumerSchema,
  endpointKey: 'username',
  unique: ['username', 'custom_id'],
  listFilters: ['custom_id'],
  foreignKeys: [],
  check: (c) =>
    c.username == null && c.custom_id == null
      ? [
          {
            path: [ENTITY_CHECK],
            message: "at least one of these fields must be non-empty: 'custom_id', 'username'",
          },
        ]
      : [],
};
