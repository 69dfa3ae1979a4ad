import { Bool, HeaderName, Int, Nullable, Rec, Str } from '../../shared/schema/kong-types';
import { ENTITY_CHECK } from '../../shared/errors';
import type { FieldError } from '../../shared/schema/validator';
import { definePlugin } from '../../shared/plugins/definition';

const present = (v: string | null | undefined) => typeof v === 'string' && v.length > 0;

/** Kong's request-termination (3.x): its fields, defaults and entity checks. */
export const requestTerminationPlugin = definePlugin({
  name: 'request-termination',
  version: '3.12.0',
  priority: 2,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  schema: Rec({
    status_code: Int({ default: 503, minimum: 100, maximum: 599 }),
    message: Nullable(Str()),
    content_type: Nullable(Str()),
    body: Nullable(Str()),
    echo: Bool({ default: false }),
    trigger: Nullable(HeaderName()),
  }),
  check: (c) => {
    const errors: FieldError[] = [];
    const fail = (message: string) => errors.push({ path: [ENTITY_CHECK], message });
    if (present(c.message) && (present(c.content_type) || present(c.body)))
      fail('message cannot be used with content_type or body');
    if (present(c.content_type) && !present(c.body)) fail('content_type requires a body');
    if (c.echo && (present(c.content_type) || present(c.body)))
      fail('echo cannot be used with content_type and body');
    return errors;
  },
});

export default requestTerminationPlugin;
