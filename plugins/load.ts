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

/**
 * The plugins that have a part `part` (a folder, `plugins/<name>/<part>/index.ts`): optional,
 * unlike schema and handler. Each must export default an object naming its plugin.
 */
export function loadOptionalPluginParts<T extends { name: string }>(part: 'control-plane'): T[] {
  const out: T[] = [];
  for (const name of BUNDLED_PLUGINS) {
    let path: string;
    try {
      path = require.resolve(join(__dirname, name, part));
    } catch {
      continue;
    }
    const value = (require(path) as { default?: T }).default;
    if (!value || value.name !== name)
      throw new Error(`plugins/${name}/${part} must export default the definition of '${name}'`);
    out.push(value);
  }
  return out;
}
