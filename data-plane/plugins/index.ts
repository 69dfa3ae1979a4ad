/** The plugin handlers this data plane runs: `plugins/<name>/handler.ts` of every bundled plugin. */
import type { PluginHandler } from '../runtime/plugin-api';
import { loadPluginModules } from '../../plugins/load';

export const PLUGIN_HANDLERS: PluginHandler[] = loadPluginModules<PluginHandler>('handler');
