/**
 * What a plugin's control-plane half (`plugins/<name>/control-plane/`) may use of the control
 * plane, and nothing else (ESLint keeps it to this file): the way to define itself, the module
 * that brings the core's services, the extension points (cluster reports and state, `/metrics`,
 * the MCP views) and the core services themselves. The data-plane counterpart is the PDK.
 */
export {
  definePluginControlPlane,
  type PluginControlPlane,
  type PluginMigration,
} from './plugins/plugin-control-plane';
export { PluginHostModule } from './plugins/plugin-host.module';
export { ClusterExtensions } from './plugins/cluster-extensions';
export { ControlPlaneMetrics } from './plugins/control-plane-metrics';
export { EntityStore, type Entity } from './admin/common/entity-store.service';
export { KongHttpError } from './admin/common/kong-http-error';
export { ConfigVersions } from './snapshots/config-versions.service';
export { McpToolInventory, type Observed, type ToolRow } from './mcp/tool-inventory.service';
export { McpViewExtensions } from './mcp/mcp-view-extensions';
