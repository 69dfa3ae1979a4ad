/**
 * Loads one part of every bundled plugin (plugins/registry.ts), as Kong loads
 * `kong.plugins.<name>.handler` and `.schema`: a plane asks for the parts it runs, and each must
 * export default the definition of the plugin it is filed under.
 */
import { BUNDLED, type BundledPlugin } from './registry';

type PartName = 'schema' | 'handler' | 'controlPlane' | 'cli';

function check<T extends { name: string }>(
  plugin: BundledPlugin,
  part: PartName,
  value: { name: string } | undefined,
): T {
  if (!value || value.name !== plugin.name)
    throw new Error(
      `plugins/${plugin.name}: its ${part} must export default the definition of '${plugin.name}'`,
    );
  return value as T;
}

function load<T extends { name: string }>(plugin: BundledPlugin, part: 'schema' | 'handler'): T {
  return check<T>(plugin, part, plugin[part]().default);
}

export function loadPluginModules<T extends { name: string }>(part: 'schema' | 'handler'): T[] {
  return BUNDLED.map((p) => load<T>(p, part));
}

async function loadOptional<T extends { name: string }>(part: 'controlPlane' | 'cli'): Promise<T[]> {
  const having = BUNDLED.filter((p) => p[part]);
  return Promise.all(having.map(async (p) => check<T>(p, part, (await p[part]!()).default)));
}

/** The control-plane halves of the plugins that have one. */
export const loadPluginControlPlanes = <T extends { name: string }>() => loadOptional<T>('controlPlane');

/** The command-line verbs of the plugins that have one. */
export const loadPluginClis = <T extends { name: string }>() => loadOptional<T>('cli');
