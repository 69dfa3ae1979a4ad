/**
 * Panels plugins add to console pages, found by file name (bundled at build time, in plugin
 * order of their folder names): `plugins/<name>/console/mcp-tools-panel.vue` joins the MCP
 * tools page of a route, with McpToolsPanelProps, and emits `changed` when it changed something.
 */
import type { Component } from 'vue';

const found = import.meta.glob<Component>('../../plugins/*/console/mcp-tools-panel.vue', {
  eager: true,
  import: 'default',
});

export const MCP_TOOLS_PANELS: Component[] = Object.keys(found)
  .sort()
  .map((path) => found[path]);
