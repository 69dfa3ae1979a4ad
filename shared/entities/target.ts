/**
 * Kong's `targets`: one address (host or IP, and port: 8000 when none is given) of an upstream,
 * with its weight. Unique per upstream (Kong's cache_key `{upstream, target}`); a weight of 0
 * keeps a target configured but takes it out of rotation.
 */
import type { Static } from '@sinclair/typebox';
import { ForeignRef, Id, Int, Rec, Str, Tags, Timestamp } from '../schema/kong-types';
import type { FieldError } from '../schema/validator';
import type { EntityDefinition } from './definition';
import { formatHostPort, parseHostPort } from './host-port';

const DEFAULT_TARGET_PORT = 8000;

const targetSchema = Rec(
  {
    id: Id(),
    created_at: Timestamp(),
    updated_at: Timestamp(),
    upstream: ForeignRef('upstreams'),
    target: Str(),
    weight: Int({ minimum: 0, maximum: 65535, default: 100 }),
    tags: Tags(),
  },
  { required: ['upstream', 'target'] },
);

/** The target as Kong stores it: `host:port` (the message is Kong's DAO's, which formats it first). */
function expandTarget(input: Record<string, any>): { value: Record<string, any>; errors: FieldError[] } {
  if (typeof input.target !== 'string') return { value: input, errors: [] };
  const parsed = parseHostPort(input.target);
  if (!parsed)
    return {
      value: input,
      errors: [
        {
          path: ['target'],
          message: 'Invalid target; not a valid hostname or ip address',
        },
      ],
    };
  return { value: { ...input, target: formatHostPort(parsed, DEFAULT_TARGET_PORT) }, errors: [] };
}

export type Target = Static<typeof targetSchema>;
export const targetEntity: EntityDefinition = {
  name: 'targets',
  singular: 'target',
  schema: targetSchema,
  unique: [],
  foreignKeys: [{ field: 'upstream', references: 'upstreams', onDelete: 'cascade' }],
  expand: expandTarget,
  cacheKey: ['upstream', 'target'],
  cacheKeyUnique: true,
  nestedUnder: 'upstream',
  deckLabel: 'target',
};
