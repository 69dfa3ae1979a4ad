/** The control-plane halves of the bundled plugins (`plugins/<name>/control-plane/`), loaded once. */
import { loadOptionalPluginParts } from '../../plugins/load';
import type { PluginControlPlane } from './plugin-control-plane';

let loaded: PluginControlPlane[] | undefined;

export function pluginControlPlanes(): PluginControlPlane[] {
  loaded ??= loadOptionalPluginParts<PluginControlPlane>('control-plane');
  return loaded;
}
