/** jwt on the control plane: its table. Its Admin API (`/jwts`, `/consumers/{c}/jwt`) follows from daos.ts. */
import { definePluginControlPlane } from '../../../control-plane/plugin-api';
import { createConsumerCredentialTable } from '../../lib/credential-table';

export default definePluginControlPlane({
  name: 'jwt',
  migrations: [
    {
      name: '000_base_jwt',
      async up(q) {
        await createConsumerCredentialTable(q, 'jwt_secrets', 'key');
      },
    },
  ],
});
