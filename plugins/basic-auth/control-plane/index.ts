/** basic-auth on the control plane: its migrations (its credentials table is the core's). */
import { definePluginControlPlane } from '../../../control-plane/plugin-api';
import { dropWebSocketProtocols } from '../../lib/websocket-protocols';

export default definePluginControlPlane({
  name: 'basic-auth',
  migrations: [dropWebSocketProtocols('basic-auth')],
});
