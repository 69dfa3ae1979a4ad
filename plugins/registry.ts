/**
 * Every plugin Tollgate ships (Kong's `plugins = bundled`). A plugin is one folder here named as
 * the plugin: `schema.ts` (definePlugin: config schema, checks, entities) read by every plane,
 * `handler.ts` (defineHandler) read by data planes only, optionally `control-plane/` (its Admin
 * API routes, cluster callbacks, migrations) read by the control plane only.
 *
 * Adding a plugin: its folder and one entry here. The paths are literal, so the compiler,
 * the cycle check and the layering rules see every part (no computed require); each part is
 * loaded only by the plane that asks for it (a control plane never loads a handler).
 */
type Part = () => { default?: { name: string } };

export interface BundledPlugin {
  name: string;
  schema: Part;
  handler: Part;
  /**
   * Loaded by the control plane as it builds its modules, with `import()`: the one edge from
   * the core into a plugin's control-plane half, which itself depends on the core (the cycle
   * check skips it, as Kong's runtime `require` of a plugin's handler).
   */
  controlPlane?: () => Promise<{ default?: { name: string } }>;
  /** A `tollgate <command>` verb of its own (cli/plugin-cli.ts), loaded the same way. */
  cli?: () => Promise<{ default?: { name: string } }>;
}

export const BUNDLED: readonly BundledPlugin[] = [
  { name: 'cors', schema: () => require('./cors/schema'), handler: () => require('./cors/handler') },
  {
    name: 'key-auth',
    schema: () => require('./key-auth/schema'),
    handler: () => require('./key-auth/handler'),
    controlPlane: () => import('./key-auth/control-plane'),
  },
  {
    name: 'basic-auth',
    schema: () => require('./basic-auth/schema'),
    handler: () => require('./basic-auth/handler'),
    controlPlane: () => import('./basic-auth/control-plane'),
  },
  {
    name: 'jwt',
    schema: () => require('./jwt/schema'),
    handler: () => require('./jwt/handler'),
    controlPlane: () => import('./jwt/control-plane'),
  },
  {
    name: 'hmac-auth',
    schema: () => require('./hmac-auth/schema'),
    handler: () => require('./hmac-auth/handler'),
    controlPlane: () => import('./hmac-auth/control-plane'),
  },
  {
    name: 'acl',
    schema: () => require('./acl/schema'),
    handler: () => require('./acl/handler'),
    controlPlane: () => import('./acl/control-plane'),
  },
  {
    name: 'request-termination',
    schema: () => require('./request-termination/schema'),
    handler: () => require('./request-termination/handler'),
  },
  {
    name: 'correlation-id',
    schema: () => require('./correlation-id/schema'),
    handler: () => require('./correlation-id/handler'),
  },
  {
    name: 'request-size-limiting',
    schema: () => require('./request-size-limiting/schema'),
    handler: () => require('./request-size-limiting/handler'),
  },
  {
    name: 'ip-restriction',
    schema: () => require('./ip-restriction/schema'),
    handler: () => require('./ip-restriction/handler'),
  },
  {
    name: 'datadog',
    schema: () => require('./datadog/schema'),
    handler: () => require('./datadog/handler'),
  },
  {
    name: 'prometheus',
    schema: () => require('./prometheus/schema'),
    handler: () => require('./prometheus/handler'),
  },
  {
    name: 'rate-limiting',
    schema: () => require('./rate-limiting/schema'),
    handler: () => require('./rate-limiting/handler'),
  },
  {
    name: 'ai-mcp-oauth2',
    schema: () => require('./ai-mcp-oauth2/schema'),
    handler: () => require('./ai-mcp-oauth2/handler'),
  },
  {
    name: 'ai-mcp-proxy',
    schema: () => require('./ai-mcp-proxy/schema'),
    handler: () => require('./ai-mcp-proxy/handler'),
    cli: () => import('./ai-mcp-proxy/cli'),
  },
  {
    name: 'mcp-tool-pinning',
    schema: () => require('./mcp-tool-pinning/schema'),
    handler: () => require('./mcp-tool-pinning/handler'),
    controlPlane: () => import('./mcp-tool-pinning/control-plane'),
    cli: () => import('./mcp-tool-pinning/cli'),
  },
  {
    name: 'ai-mcp-rate-limiting',
    schema: () => require('./ai-mcp-rate-limiting/schema'),
    handler: () => require('./ai-mcp-rate-limiting/handler'),
  },
  { name: 'datakit', schema: () => require('./datakit/schema'), handler: () => require('./datakit/handler') },
  {
    name: 'request-transformer-advanced',
    schema: () => require('./request-transformer-advanced/schema'),
    handler: () => require('./request-transformer-advanced/handler'),
  },
  {
    name: 'response-transformer-advanced',
    schema: () => require('./response-transformer-advanced/schema'),
    handler: () => require('./response-transformer-advanced/handler'),
  },
  {
    name: 'ai-proxy-advanced',
    schema: () => require('./ai-proxy-advanced/schema'),
    handler: () => require('./ai-proxy-advanced/handler'),
  },
];

/** The bundled plugins' names, in the registry's order. */
export const BUNDLED_PLUGINS: readonly string[] = BUNDLED.map((p) => p.name);
