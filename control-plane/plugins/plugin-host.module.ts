/**
 * What a plugin's control-plane module imports to reach the core: the entity store, config
 * versions and the MCP module (the extension points are global: extension-points.module.ts).
 */
import { Module } from '@nestjs/common';
import { AdminModule } from '../admin/admin.module';
import { SnapshotsModule } from '../snapshots/snapshots.module';
import { McpModule } from '../mcp/mcp.module';

@Module({
  imports: [AdminModule, SnapshotsModule, McpModule],
  exports: [AdminModule, SnapshotsModule, McpModule],
})
export class PluginHostModule {}
