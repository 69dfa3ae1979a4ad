/**
 * `tollgate file openapi2mcp` (decK's `deck file openapi2mcp`): an OpenAPI 3 document becomes a
 * decK file with a service (the first server), a route and an ai-mcp-proxy plugin whose tools are
 * the document's operations: names from `operationId` (kebab-case) or `x-kong-mcp-tool-name`,
 * descriptions from summaries, parameters, request bodies and success responses as they are
 * (every `$ref` resolved by json-schema-ref-parser, local files only). The result is validated
 * with the control plane's own schemas before it is written: what it writes applies.
 */
import { realpathSync } from 'node:fs';
import { dirname, resolve as resolvePath, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import $RefParser from '@apidevtools/json-schema-ref-parser';
import YAML from 'yaml';
import { normalizeEntity } from '../../shared/entities/normalize';
import { pluginEntity } from '../../shared/entities/plugin';
import { describeErrors } from '../../shared/errors';
import {
  BODY_MEDIA_TYPES,
  slug,
  toolDefinitionProblems,
  type ToolDefinition,
} from '../../plugins/ai-mcp-proxy/tool-definitions';
import { DeckFileError } from './env-template';
import { toolSetProblems } from '../../plugins/ai-mcp-proxy/tool-sets';

export type ConversionMode = 'conversion-listener' | 'conversion-only';

export interface Openapi2McpOptions {
  mode: ConversionMode;
  /** decK select tags: on every entity and in `_info`. */
  selectTags: string[];
  /** Plugin tags a listener's `server.tag` picks (conversion-only; default `<service>-tools`). */
  toolTags: string[];
  /** Skipped operations and why (stderr). */
  warn(message: string): void;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const UNSUPPORTED_METHODS = ['head', 'options', 'trace'];

/** `getPetById` → `get-pet-by-id`, `list_pets` → `list-pets`. */
export function kebab(id: string): string {
  return slug(
    id
      .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
      .replace(/_/g, '-'),
  );
}

function serverOf(doc: any): URL {
  const server = doc.servers?.[0];
  if (!server?.url)
    throw new DeckFileError('the document has no servers[0].url: the service needs an upstream URL');
  let url: string = server.url;
  for (const [name, v] of Object.entries<any>(server.variables ?? {}))
    url = url.split(`{${name}}`).join(String(v.default ?? ''));
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DeckFileError(
      `servers[0].url '${url}' is not an absolute URL (a relative one has nothing to resolve against)`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new DeckFileError(`servers[0].url '${url}': only http and https upstreams`);
  return parsed;
}

function parametersOf(pathItem: any, op: any): Record<string, unknown>[] {
  const byKey = new Map<string, any>();
  for (const p of [...(pathItem.parameters ?? []), ...(op.parameters ?? [])])
    byKey.set(`${p.in}:${p.name}`, p);
  return [...byKey.values()].map((p) => {
    const out: Record<string, unknown> = { name: p.name, in: p.in };
    if (p.required || p.in === 'path') out.required = true;
    if (p.description) out.description = p.description;
    out.schema = p.schema ?? { type: 'string' };
    return out;
  });
}

function requestBodyOf(
  op: any,
  where: string,
  warn: (m: string) => void,
): Record<string, unknown> | null | undefined {
  const rb = op.requestBody;
  if (!rb) return null;
  const content: Record<string, unknown> = {};
  for (const type of BODY_MEDIA_TYPES)
    if (rb.content?.[type]) content[type] = { schema: rb.content[type].schema ?? {} };
  if (!Object.keys(content).length) {
    warn(
      `${where}: skipped (request body media types ${Object.keys(rb.content ?? {}).join(', ') || 'none'}; a tool sends ${BODY_MEDIA_TYPES.join(' or ')})`,
    );
    return undefined;
  }
  return {
    ...(rb.description ? { description: rb.description } : {}),
    required: rb.required === true,
    content,
  };
}

function responsesOf(op: any): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  for (const [code, r] of Object.entries<any>(op.responses ?? {})) {
    if (!/^2(\d\d|XX)$/i.test(code)) continue;
    const json = Object.entries<any>(r.content ?? {}).find(([t]) =>
      /^application\/([\w.+-]+\+)?json/i.test(t),
    );
    if (!json?.[1]?.schema) continue;
    out[code] = {
      ...(r.description ? { description: r.description } : {}),
      content: { [json[0]]: { schema: json[1].schema } },
    };
  }
  return Object.keys(out).length ? out : null;
}

/** Parse (YAML or JSON) and resolve every $ref; refuse what is not OpenAPI 3. */
export async function loadOpenApi(text: string, path: string): Promise<any> {
  let doc: any;
  try {
    doc = YAML.parse(text, { strict: true, uniqueKeys: true });
  } catch (err) {
    throw new DeckFileError(`${path}: not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new DeckFileError(`${path}: not an OpenAPI document`);
  if (doc.swagger)
    throw new DeckFileError(
      `${path}: Swagger ${doc.swagger} is not supported (convert it to OpenAPI 3 first)`,
    );
  if (typeof doc.openapi !== 'string' || !/^3\.[01]\./.test(doc.openapi))
    throw new DeckFileError(`${path}: 'openapi' must be 3.0.x or 3.1.x`);
  try {
    const base =
      path === '-' ? pathToFileURL(resolvePath('stdin.yaml')).href : pathToFileURL(resolvePath(path)).href;
    // Only files beside the document or below it: a $ref must never pull in ~/.kube/config.
    // Real paths are compared, so a symlink beside the document cannot point out of its folder.
    const root = realpathSync(path === '-' ? resolvePath('.') : dirname(resolvePath(path)));
    const inside = (url: string) => {
      if (!url.startsWith('file:')) return false;
      let local: string;
      try {
        local = realpathSync(fileURLToPath(url.split('#')[0]));
      } catch {
        return false; // missing or unreadable: reported as an unresolvable $ref
      }
      return local === root || local.startsWith(root + sep);
    };
    return await $RefParser.dereference(base, doc, {
      resolve: { http: false, file: { canRead: (file: { url: string }) => inside(file.url) } },
      dereference: { circular: false },
    } as any);
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    throw new DeckFileError(
      `${path}: cannot resolve $ref: ${/circular/i.test(message) ? 'a circular $ref (tool schemas must be finite): ' : ''}${message} (only local files beside the document are read)`,
    );
  }
}

export function openapiToDeck(doc: any, opts: Openapi2McpOptions): Record<string, unknown> {
  const server = serverOf(doc);
  const serviceName = doc['x-kong-name'] ?? slug(doc.info?.title ?? 'openapi');
  if (!serviceName) throw new DeckFileError('no service name: set info.title or x-kong-name');
  const prefix = server.pathname.replace(/\/+$/, '');
  const tools: ToolDefinition[] = [];
  const names = new Map<string, string>();
  for (const [path, pathItem] of Object.entries<any>(doc.paths ?? {})) {
    for (const m of UNSUPPORTED_METHODS)
      if (pathItem[m])
        opts.warn(`${m.toUpperCase()} ${path}: skipped (tools call GET, POST, PUT, PATCH or DELETE)`);
    for (const method of METHODS) {
      const op = pathItem[method];
      if (!op) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const body = requestBodyOf(op, where, opts.warn);
      if (body === undefined) continue;
      const name =
        op['x-kong-mcp-tool-name'] ??
        (op.operationId ? kebab(op.operationId) : slug(`${method} ${path}`.replace(/[{}]/g, '')));
      const first = names.get(name);
      if (first)
        throw new DeckFileError(`tool name '${name}' comes from two operations: ${first} and ${where}`);
      names.set(name, where);
      const tool: ToolDefinition = {
        name,
        description: op.summary ?? op.description ?? where,
        method: method.toUpperCase(),
        path: `${prefix}${path}`,
        annotations: {
          ...(op.summary ? { title: op.summary } : {}),
          read_only_hint: method === 'get',
          destructive_hint: method === 'delete',
          idempotent_hint: method !== 'post' && method !== 'patch',
        },
      };
      const parameters = parametersOf(pathItem, op);
      if (parameters.length) tool.parameters = parameters;
      if (body) tool.request_body = body;
      const responses = responsesOf(op);
      if (responses) tool.responses = responses;
      const problems = toolDefinitionProblems(tool, { relativeBase: false });
      if (problems.length)
        throw new DeckFileError(
          `${where}: ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`,
        );
      tools.push(tool);
    }
  }
  if (!tools.length) throw new DeckFileError('the document has no operation a tool can call');
  const tags = [...new Set([...(doc['x-kong-tags'] ?? []), ...opts.selectTags])];
  const withTags = (e: Record<string, unknown>, extra: string[] = []) => {
    const all = [...new Set([...tags, ...extra])];
    return all.length ? { ...e, tags: all } : e;
  };
  const plugin = withTags(
    {
      name: 'ai-mcp-proxy',
      config: { mode: opts.mode, tools },
    },
    opts.mode === 'conversion-only' ? (opts.toolTags.length ? opts.toolTags : [`${serviceName}-tools`]) : [],
  );
  const checked = normalizeEntity(pluginEntity, structuredClone(plugin) as Record<string, any>);
  if (!checked.ok)
    throw new DeckFileError(`the generated plugin is invalid: ${describeErrors(checked.errors).join('; ')}`);
  // The control plane's whole-config check too (schemas Ajv compiles, names): what is written applies.
  const routeName = opts.mode === 'conversion-listener' ? `${serviceName}-mcp` : serviceName;
  const problems = toolSetProblems(
    [{ ...checked.value, route: { id: 'route' } }],
    new Map([['route', { paths: [`/${routeName}`] }]]),
  );
  if (problems.length)
    throw new DeckFileError(
      `the generated plugin would be refused: ${describeErrors(problems.map((p) => p.error)).join('; ')}`,
    );
  const deck: Record<string, unknown> = {
    _format_version: '3.0',
    ...(opts.selectTags.length ? { _info: { select_tags: opts.selectTags } } : {}),
    services: [
      withTags({
        name: serviceName,
        url: server.href.replace(/\/+$/, ''),
        routes: [withTags({ name: routeName, paths: [`/${routeName}`], plugins: [plugin] })],
      }),
    ],
  };
  return deck;
}

export function deckYaml(deck: Record<string, unknown>): string {
  return YAML.stringify(deck, { lineWidth: 0, aliasDuplicateObjects: false });
}
