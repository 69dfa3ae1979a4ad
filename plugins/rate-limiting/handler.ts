/**
 * rate-limiting: fixed windows per second … year, keyed by Kong's identifier (`limit_by`,
 * falling back to the client IP), counted in this process (`local`) or in a Redis every data
 * plane shares (`redis`, redis-counters.ts). Kong's headers (`RateLimit-*`,
 * `X-RateLimit-*-<Period>`, `Retry-After`) and 429 body; with Redis unreachable, Kong's
 * `fault_tolerant`: the request passes without headers, or is answered 500.
 */
import { defineHandler, type HeaderMap, type RequestContextApi } from '../../data-plane/runtime/plugin-api';
import rateLimitingPlugin, { PERIODS, type Period } from './schema';
import { takeFromRedis, takeLocally, type Take } from './policies';
import { redisClientsOf, type RedisSettings } from '../lib/redis-counters';
import { EXPIRATION } from '../lib/windows';
import { defineSlot } from '../../data-plane/runtime/slots';
import { Counter } from 'prom-client';

const REDIS_ERRORS = defineSlot<Counter>('rate-limiting:redis-errors');

const TITLE: Record<Period, string> = {
  second: 'Second',
  minute: 'Minute',
  hour: 'Hour',
  day: 'Day',
  month: 'Month',
  year: 'Year',
};

/** Kong's headers for a request's windows (`stop`: the window it exceeded, if any). */
function headersOf(take: Take, stop: Period | null, now: number): { headers: HeaderMap; reset: number } {
  const headers: HeaderMap = {};
  // The headers describe the window closest to its limit (ties: the longer window).
  let best: { limit: number; remaining: number; window: number; reset: number } | null = null;
  for (const u of take.windows) {
    const left = u.limit - u.used;
    const remaining = Math.max(0, stop === null || stop === u.period ? left - 1 : left);
    const window = EXPIRATION[u.period];
    if (!best || remaining < best.remaining || (remaining === best.remaining && window > best.window)) {
      const reset = Math.max(1, window - Math.floor((now - u.start) / 1000));
      best = { limit: u.limit, remaining, window, reset };
    }
    headers[`x-ratelimit-limit-${TITLE[u.period].toLowerCase()}`] = String(u.limit);
    headers[`x-ratelimit-remaining-${TITLE[u.period].toLowerCase()}`] = String(remaining);
  }
  if (best) {
    headers['ratelimit-limit'] = String(best.limit);
    headers['ratelimit-remaining'] = String(best.remaining);
    headers['ratelimit-reset'] = String(best.reset);
  }
  return { headers, reset: best?.reset ?? 1 };
}

export default defineHandler(rateLimitingPlugin, (c, env, entity) => {
  const limits = PERIODS.filter((p) => c[p] != null).map((p) => ({ period: p, limit: c[p] as number }));
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

  function identifier(ctx: RequestContextApi): string {
    let id: string | undefined;
    switch (c.limit_by) {
      case 'service':
        id = ctx.service.id;
        break;
      case 'consumer':
        id = ctx.consumer?.id ?? ctx.credential?.id;
        break;
      case 'credential':
        id = ctx.credential?.id;
        break;
      case 'consumer-group':
        id = ctx.consumerGroups[0]?.id;
        break;
      case 'header':
        id = first(ctx.headers[c.header_name!.toLowerCase()]);
        break;
      case 'path': {
        const path = (ctx.req.url ?? '/').split('?')[0];
        if (path === c.path) id = path;
        break;
      }
    }
    return id ?? ctx.req.socket.remoteAddress ?? '';
  }

  const errors =
    c.policy === 'redis'
      ? env.runtime.keep(
          REDIS_ERRORS,
          () =>
            new Counter({
              name: 'tollgate_rate_limiting_redis_errors_total',
              help: 'Requests rate-limiting could not count because Redis failed (fault_tolerant decides)',
              registers: [env.runtime.metrics],
            }),
        )
      : null;
  const redis = errors ? redisClientsOf(env.runtime).get(c.redis as RedisSettings) : null;

  /** Kong's answer for a counted request: 429 with the headers, or the headers on the response. */
  function answer(ctx: RequestContextApi, take: Take, now: number): void {
    let stop: Period | null = null;
    for (const u of take.windows) if (u.used >= u.limit) stop = u.period;
    const { headers, reset } = headersOf(take, take.allowed ? null : stop, now);
    const shown = c.hide_client_headers ? {} : headers;
    if (!take.allowed)
      return ctx.error(c.error_code, c.error_message, { ...shown, 'retry-after': String(reset) });
    Object.assign(ctx.responseHeaders, shown);
  }

  if (!redis)
    return {
      access(ctx) {
        const now = Date.now();
        answer(ctx, takeLocally(`${entity.id}|${c.limit_by}|${identifier(ctx)}`, limits, now), now);
      },
    };
  return {
    async access(ctx) {
      const now = Date.now();
      let take: Take;
      try {
        take = await takeFromRedis(
          redis,
          `${ctx.route.id}:${ctx.service?.id ?? ''}:${identifier(ctx)}`,
          limits,
          now,
        );
      } catch {
        errors!.inc();
        if (c.fault_tolerant) return;
        return ctx.error(500);
      }
      answer(ctx, take, now);
    },
  };
});
