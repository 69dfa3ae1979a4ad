/** acl on the control plane: its table. Its Admin API (`/acls`, `/consumers/{c}/acls`) follows from daos.ts. */
import { definePluginControlPlane } from '../../../control-plane/plugin-api';

export default definePluginControlPlane({
  name: 'acl',
  migrations: [
    {
      name: '000_base_acl',
      async up(q) {
        await q.query(`CREATE TABLE acls (
          id uuid PRIMARY KEY,
          created_at bigint NOT NULL,
          updated_at bigint NOT NULL,
          tags text[],
          doc jsonb NOT NULL,
          consumer_id uuid NOT NULL REFERENCES consumers (id) ON DELETE CASCADE,
          cache_key text NOT NULL CONSTRAINT acls_cache_key_unique UNIQUE)`);
        await q.query('CREATE INDEX acls_tags_idx ON acls USING gin (tags)');
        await q.query('CREATE INDEX acls_consumer_idx ON acls (consumer_id)');
      },
    },
  ],
});
