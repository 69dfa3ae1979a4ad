import type { SchemaOptions } from '@sinclair/typebox';
import { Bool, Int, Nullable, Rec, Str, Type, Enum } from '../../shared/schema/kong-types';

const Node = () =>
  Rec({ host: Str({ default: '127.0.0.1' }), port: Int({ minimum: 0, maximum: 65535, default: 6379 }) });

/** Kong's shared redis block (sessions, caches). */
export const RedisRecord = (opts: SchemaOptions = {}) =>
  Rec(
    {
      host: Str({ default: '127.0.0.1' }),
      port: Int({ minimum: 0, maximum: 65535, default: 6379 }),
      username: Nullable(Str()),
      password: Nullable(Str()),
      database: Int({ default: 0 }),
      ssl: Bool({ default: false }),
      ssl_verify: Bool({ default: true }),
      server_name: Nullable(Str()),
      connect_timeout: Int({ minimum: 0, default: 2000 }),
      send_timeout: Int({ minimum: 0, default: 2000 }),
      read_timeout: Int({ minimum: 0, default: 2000 }),
      keepalive_pool_size: Int({ minimum: 1, default: 256 }),
      keepalive_backlog: Nullable(Int({ minimum: 0 })),
      connection_is_proxied: Bool({ default: false }),
      cluster_max_redirections: Int({ default: 5 }),
      cluster_nodes: Nullable(
        Type.Array(Rec({ ip: Str({ default: '127.0.0.1' }), port: Int({ default: 6379 }) })),
      ),
      sentinel_master: Nullable(Str()),
      sentinel_role: Nullable(Enum(['any', 'master', 'slave'])),
      sentinel_nodes: Nullable(Type.Array(Node())),
      sentinel_username: Nullable(Str()),
      sentinel_password: Nullable(Str()),
      cloud_authentication: Nullable(Type.Object({})),
    },
    opts,
  );
