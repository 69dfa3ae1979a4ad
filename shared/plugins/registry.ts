/**
 * Every plugin Tollgate knows. Adding a plugin: its schema file here, its handler folder in
 * data-plane/plugins/, and one line in this list.
 */
import type { PluginDefinition } from './definition';
import { keyAuthPlugin } from './key-auth';
import { corsPlugin } from './cors';
import { datakitPlugin } from './datakit';
import { aiMcpProxyPlugin } from './ai-mcp-proxy';
import { aiMcpOauth2Plugin } from './ai-mcp-oauth2';
import { requestTransformerAdvancedPlugin } from './request-transformer-advanced';
import { responseTransformerAdvancedPlugin } from './response-transformer-advanced';
import { aiProxyAdvancedPlugin } from './ai-proxy-advanced';

export const PLUGIN_LIST: PluginDefinition[] = [
  corsPlugin,
  keyAuthPlugin,
  aiMcpOauth2Plugin,
  aiMcpProxyPlugin,
  datakitPlugin,
  requestTransformerAdvancedPlugin,
  responseTransformerAdvancedPlugin,
  aiProxyAdvancedPlugin,
];

export const PLUGINS = new Map(PLUGIN_LIST.map((p) => [p.name, p]));
