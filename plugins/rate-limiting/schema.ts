import { Bool, Enum, Int, Nullable, Num, Rec, Str } from '../../shared/schema/kong-types';
import { ENTITY_CHECK } from '../../shared/errors';
import type { FieldError } from '../../shared/schema/validator';
import { definePlugin } from '../../shared/plugins/definition';
import { RedisRecord } from '../lib/redis';
import { periodLimits } from '../lib/period-limits';

import { PERIODS } from '../lib/windows';

export { PERIODS, type Period } from '../lib/windows';

export const rateLimitingPlugin = definePlugin({
  name: 'rate-limiting',
  version: '3.12.0',
  priority: 910,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  schema: Rec({
    ...periodLimits(),
    limit_by: Enum(['consumer', 'credential', 'ip', 'service', 'header', 'path', 'consumer-group'], {
      default: 'consumer',
    }),
    header_name: Nullable(Str()),
    path: Nullable(Str({ pattern: '^/' })),
    policy: Enum(['local', 'cluster', 'redis'], { default: 'local' }),
    fault_tolerant: Bool({ default: true }),
    // Kong's shared redis record: always present, filled with its defaults.
    redis: RedisRecord({ default: {} }),
    hide_client_headers: Bool({ default: false }),
    error_code: Int({ default: 429, minimum: 0 }),
    error_message: Str({ default: 'API rate limit exceeded' }),
    sync_rate: Num({ default: -1 }),
  }),
  // Kong's entity checks: at least one limit, and longer windows allow at least as much.
  check: (c) => {
    const errors: FieldError[] = [];
    const set = PERIODS.filter((p) => c[p] != null);
    if (!set.length)
      errors.push({
        path: [ENTITY_CHECK],
        message: `at least one of these fields must be non-empty: ${PERIODS.map((p) => `'config.${p}'`).join(', ')}`,
      });
    outer: for (let i = 0; i < set.length; i++) {
      for (let j = i + 1; j < set.length; j++) {
        const [shorter, longer] = [set[i], set[j]];
        if (c[longer]! >= c[shorter]!) continue;
        errors.push({
          path: [ENTITY_CHECK],
          message: `The limit for ${longer}(${c[longer]!.toFixed(1)}) cannot be lower than the limit for ${shorter}(${c[shorter]!.toFixed(1)})`,
        });
        break outer;
      }
    }
    if (c.limit_by === 'header' && !c.header_name)
      errors.push({ path: ['header_name'], message: 'required field missing' });
    if (c.limit_by === 'path' && !c.path) errors.push({ path: ['path'], message: 'required field missing' });
    return errors;
  },
  // `cluster` counts in the database: data planes have none (Kong refuses it in hybrid mode too).
  // Redis Cluster needs its keys in one slot, which Kong's key format does not give.
  supported: (c) => {
    if (c.policy === 'cluster')
      return [
        {
          path: ['policy'],
          message: `policy 'cluster' is not supported by Tollgate's data planes (supported: local, redis)`,
        },
      ];
    if (c.policy === 'redis' && c.redis.cluster_nodes?.length)
      return [
        {
          path: ['redis', 'cluster_nodes'],
          message: 'Redis Cluster is not supported (a single Redis or Sentinel)',
        },
      ];
    return [];
  },
});

export default rateLimitingPlugin;
