import { Bool, Enum, Int, Rec } from '../../shared/schema/kong-types';
import { definePlugin } from '../../shared/plugins/definition';

export const SIZE_UNITS = { megabytes: 2 ** 20, kilobytes: 1024, bytes: 1 } as const;

/** Kong's request-size-limiting (3.x). */
export const requestSizeLimitingPlugin = definePlugin({
  name: 'request-size-limiting',
  version: '3.12.0',
  priority: 951,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  schema: Rec({
    allowed_payload_size: Int({ default: 128 }),
    size_unit: Enum(['megabytes', 'kilobytes', 'bytes'], { default: 'megabytes' }),
    require_content_length: Bool({ default: false }),
  }),
});

export default requestSizeLimitingPlugin;
