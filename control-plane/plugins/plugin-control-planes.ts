/** The control-plane halves of the bundled plugins (`plugins/<name>/control-plane/`), loaded once. */
import { loadPluginControlPlanes } from '../../plugins/load';
import type { PluginControlPlane } from './plugin-control-plane';

let loaded: Promise<PluginControlPlane[]> | undefined;

export function pluginControlPlanes(): Promise<PluginControlPlane[]> {
  loaded ??= loadPluginControlPlanes<PluginControlPlane>();
  return loaded;
}
