/**
 * Which tools each MCP server of a config serves (a conversion-listener its own, a listener
 * those of the conversion plugins tagged with its `server.tag`), and what would stop a data
 * plane from serving them: checked by the control plane on every write (the whole config, since
 * a listener's set spans plugins), so data planes never get a config they must refuse.
 */
import type { FieldError } from '../../shared/schema/validator';
import {
  inputSchemaOf,
  outputSchemaOf,
  toolDefinitionProblems,
  toolNameOf,
  type ToolDefinition,
} from './tool-definitions';
import { compileSchema } from './tool-schemas';

type Row = Record<string, any>;

export interface ToolSetProblem {
  plugin: Row;
  error: FieldError;
}

const isConversion = (p: Row) =>
  p.config?.mode === 'conversion-only' || p.config?.mode === 'conversion-listener';

function plainPath(route: Row | undefined): string | null {
  return ((route?.paths ?? []) as string[]).find((p) => !p.startsWith('~')) ?? null;
}

/** Problems of every ai-mcp-proxy plugin of a config, given its routes by id. */
export function toolSetProblems(plugins: Row[], routes: Map<string, Row>): ToolSetProblem[] {
  const out: ToolSetProblem[] = [];
  const mcp = plugins.filter((p) => p.name === 'ai-mcp-proxy' && p.enabled !== false);
  for (const p of mcp) {
    const mode = p.config?.mode;
    if (mode === 'passthrough-listener' || mode === 'listener') {
      if (mode === 'listener' && (p.config.tools ?? []).length)
        out.push({
          plugin: p,
          error: {
            path: ['config', 'tools'],
            message: 'a listener defines no tools (it serves those of its tag)',
          },
        });
      continue;
    }
    if (mode === 'conversion-listener' && !p.route)
      out.push({
        plugin: p,
        error: { path: ['route'], message: 'a conversion-listener must be on a route' },
      });
    if (mode === 'conversion-only' && !p.route && !p.service)
      out.push({
        plugin: p,
        error: { path: ['route'], message: 'a conversion-only plugin needs a route or a service to call' },
      });
    const route = p.route ? routes.get(p.route.id) : undefined;
    const names = new Set<string>();
    ((p.config.tools ?? []) as ToolDefinition[]).forEach((t, i) => {
      const at = ['config', 'tools', String(i + 1)];
      for (const e of toolDefinitionProblems(t, { relativeBase: plainPath(route) !== null }))
        out.push({ plugin: p, error: { path: [...at, ...e.path], message: e.message } });
      const name = toolNameOf(t);
      if (names.has(name))
        out.push({
          plugin: p,
          error: { path: [...at, 'name'], message: `tool name '${name}' is defined twice` },
        });
      names.add(name);
      for (const [which, schema] of [
        ['input', inputSchemaOf(t)],
        ['output', outputSchemaOf(t)?.schema],
      ] as const) {
        const compiled = schema ? compileSchema(schema) : null;
        if (compiled && 'problem' in compiled)
          out.push({ plugin: p, error: { path: at, message: `${which} schema: ${compiled.problem}` } });
      }
    });
  }
  for (const listener of mcp.filter((p) => p.config?.mode === 'listener')) {
    const tag = listener.config.server?.tag;
    const owners = new Map<string, Row>();
    for (const p of mcp) {
      if (!isConversion(p) || !(p.tags ?? []).includes(tag)) continue;
      for (const t of (p.config.tools ?? []) as ToolDefinition[]) {
        const name = toolNameOf(t);
        const first = owners.get(name);
        if (first && first !== p)
          out.push({
            plugin: listener,
            error: {
              path: ['config', 'server', 'tag'],
              message: `tool name '${name}' is defined by two plugins tagged '${tag}' (${first.id} and ${p.id})`,
            },
          });
        owners.set(name, p);
      }
    }
  }
  return out;
}
