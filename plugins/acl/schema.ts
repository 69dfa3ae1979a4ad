import { Bool, Nullable, Rec, Str, Type } from '../../shared/schema/kong-types';
import { ENTITY_CHECK } from '../../shared/errors';
import type { FieldError } from '../../shared/schema/validator';
import { definePlugin } from '../../shared/plugins/definition';
import { aclEntity } from './daos';

/** Kong's acl (3.x): groups allowed or denied, after an auth plugin identified the consumer. */
export const aclPlugin = definePlugin({
  name: 'acl',
  version: '3.12.0',
  priority: 950,
  noConsumer: true,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  entities: [aclEntity],
  schema: Rec({
    allow: Nullable(Type.Array(Str())),
    deny: Nullable(Type.Array(Str())),
    hide_groups_header: Bool({ default: false }),
    always_use_authenticated_groups: Bool({ default: false }),
    include_consumer_groups: Bool({ default: false }),
  }),
  check: (c) => {
    const errors: FieldError[] = [];
    const set = (['allow', 'deny'] as const).filter((f) => c[f] != null);
    if (set.length > 1)
      errors.push({
        path: [ENTITY_CHECK],
        message: "only one of these fields must be non-empty: 'config.allow', 'config.deny'",
      });
    if (set.length === 0)
      errors.push({
        path: [ENTITY_CHECK],
        message: "at least one of these fields must be non-empty: 'config.allow', 'config.deny'",
      });
    return errors;
  },
});

export default aclPlugin;
