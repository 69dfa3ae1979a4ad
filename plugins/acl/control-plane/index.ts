/** acl on the control plane: its table. Its Admin API (`/acls`, `/consumers/{c}/acls`) follows from daos.ts. */
import { definePluginControlPlane } from '../../../control-plane/plugin-api';
import { createConsumerCredentialTable } from '../../lib/credential-table';

export default definePluginControlPlane({
  name: 'acl',
  migrations: [
    {
      name: '000_base_acl',
      async up(q) {
        await createConsumerCredentialTable(q, 'acls', 'cache_key');
      },
    },
  ],
});
