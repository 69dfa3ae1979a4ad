/**
 * Kong's `vaults`: a named configuration of a vault backend under a prefix of its own, so that
 * `{vault://<prefix>/<resource>}` reads through it. Backends: Kong's `env` (config `prefix`) and
 * Tollgate's `file` (a directory of secret files, as Docker and Kubernetes mount them, re-read
 * every `ttl` seconds so a rotated secret is served without a restart).
 */
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { Enum, Id, Nullable, Num, Rec, Str, Tags, Timestamp } from '../schema/kong-types';
import { validate, type FieldError } from '../schema/validator';
import type { EntityDefinition } from './definition';

/** The backends a data plane has (Kong's bundled vaults, and `file`). */
export const VAULT_BACKENDS = ['env', 'file'] as const;

const ttl = () => Nullable(Num({ minimum: 1, maximum: 86_400 }));
export const VAULT_CONFIG_SCHEMAS: Record<(typeof VAULT_BACKENDS)[number], ReturnType<typeof Rec>> = {
  env: Rec({ prefix: Nullable(Str({ pattern: '^[A-Za-z_-][A-Za-z0-9_-]*$' })), ttl: ttl() }),
  file: Rec(
    { path: Str({ pattern: '^/', kongMessage: 'should start with: /' }), ttl: ttl() },
    { required: ['path'] },
  ),
};

const vaultSchema = Rec(
  {
    id: Id(),
    prefix: Str({
      pattern: '^[a-z][a-z0-9-]*[a-z0-9]$',
      kongMessage: "invalid value '{value}': expected lower case letters, digits and dashes",
    }),
    name: Enum(VAULT_BACKENDS),
    description: Nullable(Str()),
    config: Type.Object({}, { additionalProperties: true, default: {} }),
    created_at: Timestamp(),
    updated_at: Timestamp(),
    tags: Tags(),
  },
  { required: ['prefix', 'name'] },
);

/** The backend's own config schema (Kong's vault subschema), defaults filled. */
function checkVault(v: Record<string, any>): FieldError[] {
  // Kong reserves its bundled vaults' names (env); a `file` vault is always configured, so a
  // prefix `file` cannot shadow anything.
  if (v.prefix === 'env') return [{ path: ['prefix'], message: 'must not be one of: env' }];
  const schema = VAULT_CONFIG_SCHEMAS[v.name as (typeof VAULT_BACKENDS)[number]];
  const r = validate(schema, v.config ?? {});
  if (!r.ok) return r.errors.map((e) => ({ ...e, path: ['config', ...e.path] }));
  v.config = r.value;
  return [];
}

export type Vault = Static<typeof vaultSchema>;
export const vaultEntity: EntityDefinition = {
  name: 'vaults',
  singular: 'vault',
  schema: vaultSchema,
  endpointKey: 'prefix',
  unique: ['prefix'],
  foreignKeys: [],
  check: checkVault,
};
