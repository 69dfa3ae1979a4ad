/** Kong's `snis`: a server name (wildcards allowed) served with one certificate. */
import type { Static } from '@sinclair/typebox';
import { ForeignRef, Id, Rec, Tags, Timestamp } from '../schema/kong-types';
import type { FieldError } from '../schema/validator';
import type { EntityDefinition } from './definition';
import { WildcardHost, wildcardHostError } from './wildcard-host';

const sniSchema = Rec(
  {
    id: Id(),
    name: WildcardHost(),
    created_at: Timestamp(),
    updated_at: Timestamp(),
    tags: Tags(),
    certificate: ForeignRef('certificates'),
  },
  { required: ['name', 'certificate'] },
);

function checkSni(e: Record<string, any>): FieldError[] {
  const problem = wildcardHostError(e.name);
  return problem ? [{ path: ['name'], message: problem }] : [];
}

export type Sni = Static<typeof sniSchema>;
export const sniEntity: EntityDefinition = {
  name: 'snis',
  singular: 'sni',
  schema: sniSchema,
  endpointKey: 'name',
  unique: ['name'],
  foreignKeys: [{ field: 'certificate', references: 'certificates', onDelete: 'cascade' }],
  check: checkSni,
  cacheKey: ['name'],
  nestedUnder: 'certificate',
  deckLabel: 'sni',
};
