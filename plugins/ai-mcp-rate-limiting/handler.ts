/**
 * ai-mcp-rate-limiting on a data plane: registers the request's quota as an admission that
 * ai-mcp-proxy applies once it judged the calls (data-plane/mcp/guard-chain.ts), in every mode.
 * With Redis unreachable, Kong's `fault_tolerant`: calls are admitted uncounted, or answered
 * with an error and never forwarded.
 */
import { Counter } from 'prom-client';
import { aiMcpRateLimitingPlugin } from './schema';
import { defineHandler } from '../../data-plane/runtime/plugin-api';
import { addToolAdmission, requireJudgedByMcpProxy } from '../../data-plane/mcp/guard-chain';
import { defineSlot } from '../../data-plane/runtime/slots';
import { redisClientsOf, type RedisSettings } from '../lib/redis-counters';
import { Quotas } from './quotas';

const REDIS_ERRORS = defineSlot<Counter>('ai-mcp-rate-limiting:redis-errors');

export default defineHandler(aiMcpRateLimitingPlugin, (c, env) => {
  const redis = c.policy === 'redis' ? redisClientsOf(env.runtime).get(c.redis as RedisSettings) : null;
  const errors = redis
    ? env.runtime.keep(
        REDIS_ERRORS,
        () =>
          new Counter({
            name: 'tollgate_ai_mcp_rate_limiting_redis_errors_total',
            help: 'Tool calls ai-mcp-rate-limiting could not count because Redis failed (fault_tolerant decides)',
            registers: [env.runtime.metrics],
          }),
      )
    : null;
  const quotas = new Quotas(c, redis);
  return {
    access(ctx) {
      addToolAdmission(ctx, {
        admit: async (tools) => {
          try {
            return await quotas.admit(ctx, tools);
          } catch (err) {
            errors?.inc();
            if (c.fault_tolerant) return tools.map(() => null);
            throw err;
          }
        },
      });
    },
    beforeUpstream(ctx) {
      // The quota is applied by ai-mcp-proxy: without it on the route, nothing would be counted.
      requireJudgedByMcpProxy(ctx, 'ai-mcp-rate-limiting');
    },
  };
});
