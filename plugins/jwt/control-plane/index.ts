/** jwt on the control plane: its table. Its Admin API (`/jwts`, `/consumers/{c}/jwt`) follows from daos.ts. */
import { definePluginControlPlane } from '../../../control-plane/plugin-api';

export default definePluginControlPlane({
  name: 'jwt',
  migrations: [
    {
      name: '000_base_jwt',
      async up(q) {
        await q.query(`CREATE TABLE jwt_secrets (
          id uuid PRIMARY KEY,
          created_at bigint NOT NULL,
          updated_at bigint NOT NULL,
          tags text[],
          doc jsonb NOT NULL,
          key text NOT NULL CONSTRAINT jwt_secrets_key_unique UNIQUE,
          consumer_id uuid NOT NULL REFERENCES consumers (id) ON DELETE CASCADE)`);
        await q.query('CREATE INDEX jwt_secrets_tags_idx ON jwt_secrets USING gin (tags)');
        await q.query('CREATE INDEX jwt_secrets_consumer_idx ON jwt_secrets (consumer_id)');
      },
    },
  ],
});
