import { Bool, Enum, HTTP_METHODS, Nullable, Num, Rec, Str, Type } from '../../shared/schema/kong-types';
import { definePlugin } from '../../shared/plugins/definition';

export const corsPlugin = definePlugin({
  name: 'cors',
  version: '3.12.0',
  priority: 2000,
  noConsumer: true,
  noConsumerGroup: true,
  schema: Rec({
    origins: Nullable(Type.Array(Str())),
    headers: Nullable(Type.Array(Str())),
    exposed_headers: Nullable(Type.Array(Str())),
    methods: Nullable(Type.Array(Enum(HTTP_METHODS)), false),
    max_age: Nullable(Num()),
    credentials: Bool({ default: false }),
    private_network: Bool({ default: false }),
    preflight_continue: Bool({ default: false }),
    allow_origin_absent: Bool({ default: true }),
  }),
});
// Kong's default for `methods` is every method it knows.
(corsPlugin.schema.properties.methods as any).default = [...HTTP_METHODS];

export default corsPlugin;
