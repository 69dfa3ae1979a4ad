import { Bool, Enum, Nullable, Num, Rec, Str, Type } from '../../shared/schema/kong-types';
import { ENTITY_CHECK } from '../../shared/errors';
import type { FieldError } from '../../shared/schema/validator';
import { definePlugin } from '../../shared/plugins/definition';
import { jwtSecretEntity } from './daos';

/** Kong's jwt (3.x). */
export const jwtPlugin = definePlugin({
  name: 'jwt',
  version: '3.12.0',
  priority: 1450,
  authenticates: true,
  noConsumer: true,
  noConsumerGroup: true,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  entities: [jwtSecretEntity],
  schema: Rec({
    uri_param_names: Type.Array(Str(), { default: ['jwt'] }),
    cookie_names: Type.Array(Str(), { default: [] }),
    header_names: Type.Array(Str(), { default: ['authorization'] }),
    key_claim_name: Str({ default: 'iss' }),
    secret_is_base64: Bool({ default: false }),
    claims_to_verify: Nullable(Type.Array(Enum(['exp', 'nbf']))),
    anonymous: Nullable(Str()),
    run_on_preflight: Bool({ default: true }),
    maximum_expiration: Num({ default: 0, minimum: 0, maximum: 31536000 }),
    realm: Nullable(Str()),
  }),
  // Kong: a maximum expiration only with `exp` verified.
  check: (c) => {
    const errors: FieldError[] = [];
    if (c.maximum_expiration > 0 && !(c.claims_to_verify ?? []).includes('exp'))
      errors.push({
        path: [ENTITY_CHECK],
        message: "failed conditional validation given value of field 'config.maximum_expiration'",
      });
    return errors;
  },
});

export default jwtPlugin;
