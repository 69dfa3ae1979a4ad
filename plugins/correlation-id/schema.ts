import { Bool, Enum, Nullable, Rec, Str } from '../../shared/schema/kong-types';
import { definePlugin } from '../../shared/plugins/definition';

/** Kong's correlation-id (3.x). */
export const correlationIdPlugin = definePlugin({
  name: 'correlation-id',
  version: '3.12.0',
  priority: 100001,
  schema: Rec({
    header_name: Nullable(Str(), false),
    generator: Enum(['uuid', 'uuid#counter', 'tracker'], { default: 'uuid#counter' }),
    echo_downstream: Bool({ default: false }),
  }),
});
(correlationIdPlugin.schema.properties.header_name as any).default = 'Kong-Request-ID';

export default correlationIdPlugin;
