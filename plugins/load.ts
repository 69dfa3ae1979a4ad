/**
 * Loads one part of every bundled plugin (plugins/registry.ts), as Kong loads
 * `kong.plugins.<name>.handler` and `.schema`: a plane asks for the parts it runs, and each must
 * export default the definition of the plugin it is filed under.
 */
import { BUNDLED, type BundledPlugin } from './registry';

type PartName = 'schema' | 'handler' | 'controlPlane';

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

/** The control-plane halves of the plugins that have one. */
export async function loadPluginControlPlanes<T extends { name: string }>(): Promise<T[]> {
  const withHalf = BUNDLED.filter((p) => p.controlPlane);
  return Promise.all(
    withHalf.map(async (p) => check<T>(p, 'controlPlane', (await p.controlPlane!()).default)),
  );
}
