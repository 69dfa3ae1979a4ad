/** hmac-auth on the control plane: its table. Its Admin API (`/hmac-auths`, `/consumers/{c}/hmac-auth`) follows from daos.ts. */
import { definePluginControlPlane } from '../../../control-plane/plugin-api';
import { createConsumerCredentialTable } from '../../lib/credential-table';

export default definePluginControlPlane({
  name: 'hmac-auth',
  migrations: [
    {
      name: '000_base_hmac_auth',
      async up(q) {
        await createConsumerCredentialTable(q, 'hmacauth_credentials', 'username');
      },
    },
  ],
});
