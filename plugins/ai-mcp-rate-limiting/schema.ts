/**
 * ai-mcp-rate-limiting (Tollgate's own; Kong limits MCP at the HTTP level only): quotas per
 * tool and caller — "20 create_issue a day for the developers group" — counted per JSON-RPC
 * call (each call of a batch), in both protocol eras and every ai-mcp-proxy mode, locally or in
 * the Redis every data plane shares. A call over its quota is answered as the tool's error
 * result, with the time to wait, and never forwarded. Kong's style: rate-limiting's windows,
 * `limit_by`, `policy`, `redis` and `fault_tolerant`, with `limits` saying which tools and
 * callers each quota is for.
 */
import { Bool, Enum, Nullable, Rec, Str, Type } from '../../shared/schema/kong-types';
import type { FieldError } from '../../shared/schema/validator';
import { definePlugin } from '../../shared/plugins/definition';
import { RedisRecord } from '../lib/redis';
import { periodLimits } from '../lib/period-limits';
import { PERIODS } from '../lib/windows';

const Names = () =>
  Nullable(Type.Array(Str({ minLength: 1, maxLength: 255 }), { minItems: 1, maxItems: 1000 }));

export const aiMcpRateLimitingPlugin = definePlugin({
  name: 'ai-mcp-rate-limiting',
  version: '1.0.0',
  // Before ai-mcp-proxy (820), which applies the quota it registers once the call is judged.
  priority: 822,
  requires: ['ai-mcp-proxy'],
  runs: {
    before: [{ plugin: 'ai-mcp-proxy', why: 'ai-mcp-proxy counts the quota when it judges a tools/call' }],
  },
  noConsumerGroup: true,
  schema: Rec(
    {
      limits: Type.Array(
        Rec(
          {
            /** Exact tool names, each counted on its own; `*`: every tool, counted together. */
            tools: Type.Array(Str({ minLength: 1, maxLength: 255 }), { minItems: 1, maxItems: 1000 }),
            /** For these consumers (username or id) and these consumer groups (name); neither: anyone. */
            consumers: Names(),
            consumer_groups: Names(),
            ...periodLimits(),
          },
          { required: ['tools'] },
        ),
        { minItems: 1, maxItems: 100 },
      ),
      limit_by: Enum(['consumer', 'credential', 'consumer-group', 'ip'], { default: 'consumer' }),
      policy: Enum(['local', 'redis'], { default: 'local' }),
      redis: RedisRecord({ default: {} }),
      fault_tolerant: Bool({ default: true }),
      error_message: Str({ default: 'Tool call quota exceeded', maxLength: 500 }),
    },
    { required: ['limits'] },
  ),
  check: (c) => {
    const errors: FieldError[] = [];
    // Checks run on what the schema read: a missing `limits` is its "required field missing".
    (c.limits ?? []).forEach((l, i) => {
      if (!PERIODS.some((p) => l[p] != null))
        errors.push({
          path: ['limits', i],
          message: `at least one of these fields must be non-empty: ${PERIODS.map((p) => `'${p}'`).join(', ')}`,
        });
      if (l.tools.includes('*') && l.tools.length > 1)
        errors.push({
          path: ['limits', i, 'tools'],
          message: "'*' stands alone: it counts every tool together",
        });
    });
    return errors;
  },
  supported: (c) =>
    c.policy === 'redis' && c.redis.cluster_nodes?.length
      ? [
          {
            path: ['redis', 'cluster_nodes'],
            message: 'Redis Cluster is not supported (a single Redis or Sentinel)',
          },
        ]
      : [],
});

export default aiMcpRateLimitingPlugin;
