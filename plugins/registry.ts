/**
 * Every plugin Tollgate ships (Kong's `plugins = bundled`). A plugin is one folder here named as
 * the plugin: `schema.ts` (definePlugin: config schema, checks, entities) read by every plane,
 * `handler.ts` (defineHandler) read by data planes only, and optionally `daos.ts` (its entities).
 * Adding a plugin: its folder and one line in this list.
 */
export const BUNDLED_PLUGINS = [
  'cors',
  'key-auth',
  'basic-auth',
  'rate-limiting',
  'ai-mcp-oauth2',
  'ai-mcp-proxy',
  'mcp-tool-pinning',
  'datakit',
  'request-transformer-advanced',
  'response-transformer-advanced',
  'ai-proxy-advanced',
] as const;
