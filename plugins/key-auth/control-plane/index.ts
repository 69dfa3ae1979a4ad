/**
 * key-auth on the control plane: its table. Its Admin API (`/key-auths`, `/consumers/{c}/key-auth`)
 * follows from its entity definition (daos.ts), as for every plugin entity.
 */
import { definePluginControlPlane } from '../../../control-plane/plugin-api';
import { createConsumerCredentialTable } from '../../lib/credential-table';
import { dropWebSocketProtocols } from '../../lib/websocket-protocols';

export default definePluginControlPlane({
  name: 'key-auth',
  migrations: [
    {
      // The layout every entity table has (migrations/1763800000000-initial-schema.ts); before
      // 2026-12-07 the core's first migration created it, so it may exist already.
      name: '000_base_key_auth',
      async up(q) {
        await createConsumerCredentialTable(q, 'keyauth_credentials', 'key', { ifNotExists: true });
      },
    },
    dropWebSocketProtocols('key-auth'),
  ],
});
