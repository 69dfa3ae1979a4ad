/** Kong's `key_sets` (Admin API `/key-sets`): a named group of keys (a JWKS). */
import type { Static } from '@sinclair/typebox';
import { Id, Name, Nullable, Rec, Tags, Timestamp } from '../schema/kong-types';
import type { EntityDefinition } from './definition';

const keySetSchema = Rec({
  id: Id(),
  name: Nullable(Name()),
  tags: Tags(),
  created_at: Timestamp(),
  updated_at: Timestamp(),
});

export type KeySet = Static<typeof keySetSchema>;
export const keySetEntity: EntityDefinition = {
  name: 'key_sets',
  singular: 'key_set',
  schema: keySetSchema,
  endpointKey: 'name',
  unique: ['name'],
  foreignKeys: [],
  adminApiName: 'key-sets',
};
