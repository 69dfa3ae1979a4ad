import { Bool, Nullable, Rec, Str } from '../../shared/schema/kong-types';
import { definePlugin } from '../../shared/plugins/definition';
import { basicauthCredentialEntity } from './daos';

export const basicAuthPlugin = definePlugin({
  name: 'basic-auth',
  version: '3.12.0',
  priority: 1100,
  authenticates: true,
  noConsumer: true,
  noConsumerGroup: true,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  entities: [basicauthCredentialEntity],
  schema: Rec({
    anonymous: Nullable(Str()),
    hide_credentials: Bool({ default: false }),
    realm: Str({ default: 'service' }),
  }),
});

export default basicAuthPlugin;
