import type { Static } from '@sinclair/typebox';
import { Name, Rec, Tags, Timestamp, Id } from '../schema/kong-types';
import type { EntityDefinition } from './definition';

const consumerGroupSchema = Rec(
  {
    id: Id(),
    created_at: Timestamp(),
    updated_at: Timestamp(),
    name: Name(),
    tags: Tags(),
  },
  { required: ['name'] },
);

/** A consumer group as stored and as in a snapshot: validated, defaults filled (every field present). */
export type ConsumerGroup = Static<typeof consumerGroupSchema>;
export const consumerGroupEntity: EntityDefinition = {
  name: 'consumer_groups',
  singular: 'consumer_group',
  schema: consumerGroupSchema,
  endpointKey: 'name',
  unique: ['name'],
  foreignKeys: [],
};
