/**
 * What a plugin's console part (`plugins/<name>/console/`) may use of the console: the Admin
 * API client and its URL. Its panels are found by plugin-panels.ts; nothing here names a plugin.
 */
export { adminAxios } from './http';
export { ADMIN_API_URL } from './runtime-config';

/** The props every panel of the MCP tools page gets: the route's view (GET /mcp/routes/{r}/tools). */
export interface McpToolsPanelProps {
  routeId: string;
  detail: Record<string, any>;
}
