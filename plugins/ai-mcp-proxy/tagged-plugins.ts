/**
 * What a listener binds (Kong: the plugins tagged with its `server.tag`): the other enabled
 * ai-mcp-proxy plugins carrying the tag, in one of the given modes — conversion routes for
 * converted tools, passthrough routes for MCP sources.
 */
import type { CompileEnv } from '../../data-plane/runtime/plugin-api';
import type { Entity } from '../../data-plane/runtime/entity';

export function taggedPlugins(
  tag: string,
  env: CompileEnv,
  self: Entity,
  modes: readonly string[],
): Entity[] {
  return env.pluginEntities.filter(
    (p) =>
      p.name === 'ai-mcp-proxy' &&
      p.enabled !== false &&
      p.id !== self.id &&
      modes.includes(p.config?.mode as string) &&
      (p.tags ?? []).includes(tag),
  );
}
