import type { TObject } from '@sinclair/typebox';
import type { FieldError } from '../schema/validator';

export interface ForeignKey {
  /** Field in this entity, e.g. `service`. */
  field: string;
  /** Referenced entity collection, e.g. `services`. */
  references: string;
  /** What happens to this entity when the referenced one is deleted (Kong's on_delete). */
  onDelete: 'cascade' | 'restrict';
}

/** One entity, declared once; drives validation, the Admin API, the snapshot and decK files. */
export interface EntityDefinition {
  /** Collection name: Admin API path segment and table name, e.g. `services`. */
  name: string;
  /** Name used in decK output ("creating service x"). */
  singular: string;
  schema: TObject;
  /** Field that addresses an item in a URL besides its id (Kong's endpoint_key). */
  endpointKey?: string;
  /** Fields with a UNIQUE constraint (each on its own). */
  unique: string[];
  foreignKeys: ForeignKey[];
  /** Rewrites shorthand input (e.g. a service `url`) before validation. */
  expand?: (input: Record<string, any>) => { value: Record<string, any>; errors: FieldError[] };
  /** Entity-level checks after field validation (Kong's entity_checks). */
  check?: (entity: Record<string, any>) => FieldError[];
  /** Fills server-generated values on insert (e.g. a key-auth key). */
  generate?: (entity: Record<string, any>) => void;
}
