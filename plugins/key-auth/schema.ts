import { Bool, Nullable, Rec, Str, Type } from '../../shared/schema/kong-types';
import { definePlugin } from '../../shared/plugins/definition';
import { keyauthCredentialEntity } from './daos';

const HeaderName = () =>
  Str({
    pattern: '^[A-Za-z0-9_-]+$',
    kongMessage: "bad header name '{value}', allowed characters are A-Z, a-z, 0-9, '_', and '-'",
  });

export const keyAuthPlugin = definePlugin({
  name: 'key-auth',
  version: '3.12.0',
  priority: 1250,
  authenticates: true,
  noConsumer: true,
  noConsumerGroup: true,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  entities: [keyauthCredentialEntity],
  schema: Rec(
    {
      key_names: Type.Array(HeaderName(), { default: ['apikey'], minItems: 1 }),
      hide_credentials: Bool({ default: false }),
      anonymous: Nullable(Str()),
      key_in_header: Bool({ default: true }),
      key_in_query: Bool({ default: true }),
      key_in_body: Bool({ default: false }),
      run_on_preflight: Bool({ default: true }),
      realm: Nullable(Str()),
    },
    { required: ['key_names'] },
  ),
});

export default keyAuthPlugin;
