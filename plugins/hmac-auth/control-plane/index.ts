/** hmac-auth on the control plane: its table. Its Admin API (`/hmac-auths`, `/consumers/{c}/hmac-auth`) follows from daos.ts. */
import { definePluginControlPlane } from '../../../control-plane/plugin-api';

export default definePluginControlPlane({
  name: 'hmac-auth',
  migrations: [
    {
      name: '000_base_hmac_auth',
      async up(q) {
        await q.query(`CREATE TABLE hmacauth_credentials (
          id uuid PRIMARY KEY,
          created_at bigint NOT NULL,
          updated_at bigint NOT NULL,
          tags text[],
          doc jsonb NOT NULL,
          username text NOT NULL CONSTRAINT hmacauth_credentials_username_unique UNIQUE,
          consumer_id uuid NOT NULL REFERENCES consumers (id) ON DELETE CASCADE)`);
        await q.query('CREATE INDEX hmacauth_credentials_tags_idx ON hmacauth_credentials USING gin (tags)');
        await q.query('CREATE INDEX hmacauth_credentials_consumer_idx ON hmacauth_credentials (consumer_id)');
      },
    },
  ],
});
