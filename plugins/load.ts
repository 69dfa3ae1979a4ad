/**
 * Loads a part of every bundled plugin by folder convention (Kong loads
 * `kong.plugins.<name>.handler` and `.schema` the same way), so that the control plane never
 * loads a handler and the registry stays one list of names.
 */
import { join } from 'node:path';
import { BUNDLED_PLUGINS } from './registry';

export function loadPluginModules<T extends { name: string }>(part: 'schema' | 'handler'): T[] {
  return BUNDLED_PLUGINS.map((name) => {
    const mod = require(join(__dirname, name, part)) as { default?: T };
    const value = mod.default;
    if (!value || value.name !== name)
      throw new Error(`plugins/${name}/${part} must export default the definition of '${name}'`);
    return value;
  });
}
