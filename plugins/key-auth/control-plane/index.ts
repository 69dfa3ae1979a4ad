/**
 * key-auth on the control plane: its table. Its Admin API (`/key-auths`, `/consumers/{c}/key-auth`)
 * follows from its entity definition (daos.ts), as for every plugin entity.
 */
import { definePluginControlPlane } from '../../../control-plane/plugin-api';
import { dropWebSocketProtocols } from '../../lib/websocket-protocols';

export default definePluginControlPlane({
  name: 'key-auth',
  migrations: [
    {
      // The layout every entity table has (migrations/1763800000000-initial-schema.ts); before
      // 2026-12-07 the core's first migration created it, so it may exist already.
      name: '000_base_key_auth',
      async up(q) {
        await q.query(`CREATE TABLE IF NOT EXISTS keyauth_credentials (
          id uuid PRIMARY KEY,
          created_at bigint NOT NULL,
          updated_at bigint NOT NULL,
          tags text[],
          doc jsonb NOT NULL,
          key text NOT NULL CONSTRAINT keyauth_credentials_key_unique UNIQUE,
          consumer_id uuid NOT NULL REFERENCES consumers (id) ON DELETE CASCADE)`);
        await q.query(
          'CREATE INDEX IF NOT EXISTS keyauth_credentials_tags_idx ON keyauth_credentials USING gin (tags)',
        );
        await q.query(
          'CREATE INDEX IF NOT EXISTS keyauth_credentials_consumer_idx ON keyauth_credentials (consumer_id)',
        );
      },
    },
    dropWebSocketProtocols('key-auth'),
  ],
});
