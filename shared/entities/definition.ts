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
  /** Unique fields a listing can be filtered by (Kong's `GET /consumers?custom_id=`). */
  listFilters?: string[];
  /** Rewrites shorthand input (e.g. a service `url`) before validation. */
  expand?: (input: Record<string, any>) => { value: Record<string, any>; errors: FieldError[] };
  /** Entity-level checks after field validation (Kong's entity_checks). */
  check?: (entity: Record<string, any>) => FieldError[];
  /** Fills server-generated values on insert (e.g. a key-auth key). */
  generate?: (entity: Record<string, any>) => void;

  // ---- plugin-owned entities (a plugin's `daos.ts`, Kong's admin_api_name & co.) ----

  /** Kong's cache_key: the fields a data plane finds this entity by (key-auth's `key`). */
  cacheKey?: string[];
  /**
   * The cacheKey fields are unique together (Kong's `cache_key` column, e.g. an ACL's consumer
   * and group): kept in a `cache_key` column of the table, constraint `<table>_cache_key_unique`.
   */
  cacheKeyUnique?: boolean;
  /** Kong's admin_api_name: the top-level collection (`key-auths`). */
  adminApiName?: string;
  /** Kong's admin_api_nested_name: the collection under the parent (`/consumers/{c}/key-auth`). */
  adminApiNestedName?: string;
  /** The foreign key this entity is nested under, in decK files and the Admin API (`consumer`). */
  nestedUnder?: string;
  /** decK's label in its output (`key-auth`). */
  deckLabel?: string;
  /** Fields that are secrets: never printed, so decK names the entity by id. */
  secretFields?: string[];
  /**
   * Kong's `transformations.on_write`: rewrites a validated entity before it is stored
   * (basic-auth hashes its password). `existing` is the stored entity on update.
   */
  onWrite?: (entity: Record<string, any>, existing: Record<string, any> | null) => Promise<void> | void;
  /**
   * decK: the stored entity matches the file's although they differ as text (a hashed password
   * against the file's plain one). Returns the file's entity with such fields taken from `stored`.
   */
  sameAsStored?: (target: Record<string, any>, stored: Record<string, any>) => Record<string, any>;
}
