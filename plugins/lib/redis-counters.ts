/**
 * The `redis` policy (rate-limiting, ai-mcp-rate-limiting): counters in one Redis that every
 * worker of every data plane shares, so a limit is one limit fleet-wide, each key expiring with
 * its window. Kong reads usage and increments afterwards, so concurrent requests can overshoot;
 * here one script checks every counter a request needs and adds to all of them or none,
 * atomically, so a limit holds exactly under any concurrency.
 * One connection per Redis (host, port, database, user, TLS) per process, shared by every
 * plugin instance and closed when the process stops serving; commands fail at once while it is down (no offline queue), and the plugin's
 * `fault_tolerant` decides what a request then gets.
 */
import Redis, { type RedisOptions } from 'ioredis';
import type { PluginRuntime } from '../../data-plane/runtime/plugin-api';
import { defineSlot } from '../../data-plane/runtime/slots';

/** The schema's `redis` record (plugins/lib/redis.ts), as the handler receives it. */
export interface RedisSettings {
  host: string;
  port: number;
  username?: string | null;
  password?: string | null;
  database: number;
  ssl: boolean;
  ssl_verify: boolean;
  server_name?: string | null;
  connect_timeout: number;
  read_timeout: number;
  sentinel_master?: string | null;
  sentinel_role?: string | null;
  sentinel_nodes?: { host: string; port: number }[] | null;
  sentinel_username?: string | null;
  sentinel_password?: string | null;
}

// KEYS: the counters; ARGV: their limits, their expiries (s), the amounts to add. Returns
// {allowed (1/0), used before this request per counter…}.
const TAKE = `
local n = #KEYS
local used = {}
local allowed = 1
for i = 1, n do
  used[i] = tonumber(redis.call('GET', KEYS[i]) or '0')
  if used[i] + tonumber(ARGV[2 * n + i]) > tonumber(ARGV[i]) then allowed = 0 end
end
if allowed == 1 then
  for i = 1, n do
    local amount = tonumber(ARGV[2 * n + i])
    if redis.call('INCRBY', KEYS[i], amount) == amount then redis.call('EXPIRE', KEYS[i], tonumber(ARGV[n + i])) end
  end
end
local out = {allowed}
for i = 1, n do out[i + 1] = used[i] end
return out
`;

export type Client = Redis & { rateLimitTake(n: number, ...args: (string | number)[]): Promise<number[]> };

/** The process's connections, one per Redis (kept in the plugin runtime, closed with it). */
export class RedisClients {
  private readonly clients = new Map<string, Client>();

  get(r: RedisSettings): Client {
    const options = optionsOf(r);
    const key = JSON.stringify(options, (_k, v) => (typeof v === 'function' ? undefined : v));
    let client = this.clients.get(key);
    if (!client) {
      client = new Redis(options) as Client;
      client.defineCommand('rateLimitTake', { lua: TAKE });
      // Errors surface on the commands (fault_tolerant); the connection's own are no crash.
      client.on('error', () => undefined);
      this.clients.set(key, client);
    }
    return client;
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map((c) => c.quit().catch(() => c.disconnect())));
  }
}

function optionsOf(r: RedisSettings): RedisOptions {
  const common: RedisOptions = {
    username: r.username ?? undefined,
    password: r.password ?? undefined,
    db: r.database,
    connectTimeout: r.connect_timeout,
    commandTimeout: r.read_timeout,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Reconnect soon and keep trying, at most every 2 s: the limits come back with Redis.
    retryStrategy: (times) => Math.min(100 * times, 2000),
    ...(r.ssl ? { tls: { rejectUnauthorized: r.ssl_verify, servername: r.server_name ?? r.host } } : {}),
  };
  if (r.sentinel_master && r.sentinel_nodes?.length)
    return {
      ...common,
      name: r.sentinel_master,
      role: r.sentinel_role === 'slave' ? 'slave' : 'master',
      sentinels: r.sentinel_nodes.map((n) => ({ host: n.host, port: n.port })),
      sentinelUsername: r.sentinel_username ?? undefined,
      sentinelPassword: r.sentinel_password ?? undefined,
    };
  return { ...common, host: r.host, port: r.port };
}

export interface CounterTake {
  key: string;
  limit: number;
  /** Seconds the counter lives (its window's length). */
  expiry: number;
  amount: number;
}

/** Adds each amount to its counter if every counter stays within its limit; the counts before. */
export async function takeInRedis(
  client: Client,
  takes: readonly CounterTake[],
): Promise<{ allowed: boolean; used: number[] }> {
  const args = [...takes.map((t) => t.limit), ...takes.map((t) => t.expiry), ...takes.map((t) => t.amount)];
  const out = await client.rateLimitTake(takes.length, ...takes.map((t) => t.key), ...args);
  return { allowed: out[0] === 1, used: takes.map((_, i) => Number(out[i + 1])) };
}

const CLIENTS = defineSlot<RedisClients>('redis-counters:clients');

/** The process's connections, closed when it stops serving. */
export function redisClientsOf(runtime: PluginRuntime): RedisClients {
  return runtime.keep(CLIENTS, () => {
    const clients = new RedisClients();
    runtime.onClose(() => clients.close());
    return clients;
  });
}
