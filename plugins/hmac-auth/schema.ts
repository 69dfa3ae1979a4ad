import { Bool, Enum, Nullable, Num, Rec, Str, Type } from '../../shared/schema/kong-types';
import { definePlugin } from '../../shared/plugins/definition';
import { hmacauthCredentialEntity } from './daos';

export const ALGORITHMS = ['hmac-sha1', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512'] as const;

/** Kong's hmac-auth (3.x). */
export const hmacAuthPlugin = definePlugin({
  name: 'hmac-auth',
  version: '3.12.0',
  priority: 1030,
  authenticates: true,
  noConsumer: true,
  noConsumerGroup: true,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  entities: [hmacauthCredentialEntity],
  schema: Rec({
    hide_credentials: Bool({ default: false }),
    clock_skew: Num({ default: 300, exclusiveMinimum: 0 }),
    anonymous: Nullable(Str()),
    validate_request_body: Bool({ default: false }),
    enforce_headers: Type.Array(Str(), { default: [] }),
    algorithms: Type.Array(Enum(ALGORITHMS), { default: [...ALGORITHMS] }),
    realm: Nullable(Str()),
  }),
});

export default hmacAuthPlugin;
