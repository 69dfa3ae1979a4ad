/**
 * mcp-tool-pinning on the control plane: its Admin API (pinning.controller.ts), what it does
 * with the tool reports data planes send (first use: pin-decisions.service.ts), the held tools
 * it tells data planes (held-tools.service.ts), its table (migrations.ts).
 */
import { definePluginControlPlane } from '../../../control-plane/plugin-api';
import { PinningModule } from './pinning.module';
import { MIGRATIONS } from './migrations';

export default definePluginControlPlane({
  name: 'mcp-tool-pinning',
  module: PinningModule,
  migrations: MIGRATIONS,
});
