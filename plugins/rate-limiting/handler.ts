/**
 * rate-limiting, `local` policy: fixed windows per second … year counted in this data plane's
 * memory, keyed by the plugin instance and Kong's identifier (`limit_by`, falling back to the
 * client IP). Kong's headers (`RateLimit-*`, `X-RateLimit-*-<Period>`, `Retry-After`) and 429 body.
 */
import { defineHandler, type HeaderMap, type RequestContextApi } from '../../data-plane/runtime/plugin-api';
import rateLimitingPlugin, { PERIODS, type Period } from './schema';
import { LOCAL_COUNTERS } from './counters';
import { windowOf } from './windows';

/** Kong's EXPIRATION table: the window length `RateLimit-Reset` is computed from. */
const EXPIRATION: Record<Period, number> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86400,
  month: 2592000,
  year: 31536000,
};
const TITLE: Record<Period, string> = {
  second: 'Second',
  minute: 'Minute',
  hour: 'Hour',
  day: 'Day',
  month: 'Month',
  year: 'Year',
};

export default defineHandler(rateLimitingPlugin, (c, _env, entity) => {
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

  return {
    access(ctx) {
      const now = Date.now();
      const who = `${entity.id}|${c.limit_by}|${identifier(ctx)}`;
      const usage = limits.map(({ period, limit }) => {
        const w = windowOf(period, now);
        const key = `${who}|${period}`;
        return {
          period,
          limit,
          key,
          end: w.end,
          start: w.start,
          remaining: limit - LOCAL_COUNTERS.get(key, w.end),
        };
      });
      let stop: Period | null = null;
      for (const u of usage) if (u.remaining <= 0) stop = u.period;

      // The headers describe the window closest to its limit (ties: the longer window).
      const headers: HeaderMap = {};
      let best: { limit: number; remaining: number; window: number; reset: number } | null = null;
      for (const u of usage) {
        const remaining = Math.max(0, stop === null || stop === u.period ? u.remaining - 1 : u.remaining);
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
      const shown = c.hide_client_headers ? {} : headers;
      if (stop !== null) {
        return ctx.error(c.error_code, c.error_message, { ...shown, 'retry-after': String(best!.reset) });
      }
      Object.assign(ctx.responseHeaders, shown);
      for (const u of usage) LOCAL_COUNTERS.increment(u.key, u.end, now);
    },
  };
});
