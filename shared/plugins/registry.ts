/** Every plugin definition (plugins/registry.ts lists them), as the planes and the CLI see them. */
import type { PluginDefinition } from './definition';
import { loadPluginModules } from '../../plugins/load';

export const PLUGIN_LIST: PluginDefinition[] = loadPluginModules<PluginDefinition>('schema');

export const PLUGINS = new Map(PLUGIN_LIST.map((p) => [p.name, p]));
