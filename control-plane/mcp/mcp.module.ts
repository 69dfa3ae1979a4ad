/**
 * MCP on the control plane (decision 0007: MCP is a core module): the tool inventory data planes
 * report, the MCP views (`/mcp/...`), the check that every MCP server the config describes can be
 * served, and the view extension point MCP plugins add to.
 */
import { Module } from '@nestjs/common';
import { AdminModule } from '../admin/admin.module';
import { SnapshotsModule } from '../snapshots/snapshots.module';
import { McpToolsController } from './mcp-tools.controller';
import { McpToolSetsCheck } from './mcp-tool-sets.check';
import { McpToolInventory } from './tool-inventory.service';
import { McpViewExtensions } from './mcp-view-extensions';

@Module({
  imports: [AdminModule, SnapshotsModule],
  controllers: [McpToolsController],
  providers: [McpToolInventory, McpViewExtensions, McpToolSetsCheck],
  exports: [McpToolInventory, McpViewExtensions],
})
export class McpModule {}
