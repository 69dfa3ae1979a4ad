/**
 * The plugin handlers this data plane runs. Adding a plugin: its schema in shared/plugins/,
 * its folder here, and one line below.
 */
import type { PluginHandler } from '../runtime/plugin-api';
import { keyAuthHandler } from './key-auth/handler';
import { corsHandler } from './cors/handler';
import { requestTransformerAdvancedHandler } from './request-transformer-advanced/handler';
import { responseTransformerAdvancedHandler } from './response-transformer-advanced/handler';
import { aiProxyAdvancedHandler } from './ai-proxy-advanced/handler';
import { aiMcpProxyHandler } from './ai-mcp-proxy/handler';
import { aiMcpOauth2Handler } from './ai-mcp-oauth2/handler';
import { datakitHandler } from './datakit/handler';

export const PLUGIN_HANDLERS: PluginHandler[] = [
  corsHandler,
  keyAuthHandler,
  requestTransformerAdvancedHandler,
  responseTransformerAdvancedHandler,
  aiProxyAdvancedHandler,
  aiMcpProxyHandler,
  aiMcpOauth2Handler,
  datakitHandler,
];
