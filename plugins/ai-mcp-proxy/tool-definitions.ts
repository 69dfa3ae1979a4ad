/**
 * Kong's ai-mcp-proxy tool definitions in the conversion modes: an HTTP operation (method, path
 * template, OpenAPI-style parameters, request body and responses) and the MCP tool it becomes.
 * Pure functions, read by the control plane (validation: a definition the data plane could not
 * serve is refused when written) and the data plane (which serves it).
 *
 * Kong's naming: an input is named by its location and name (`query_q`, `path_petId`); the
 * request body is `body`; the tool's name is `name`, else its `annotations.title` as a slug.
 */
import type { FieldError } from '../../shared/schema/validator';

export const PARAMETER_LOCATIONS = ['path', 'query', 'header', 'cookie'] as const;
export type ParameterLocation = (typeof PARAMETER_LOCATIONS)[number];

/** MCP tool names (2025-11-25): 1–128 of A–Z a–z 0–9 _ - . */
export const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const TEMPLATE = /\{([^{}]*)\}/g;
export const BODY_MEDIA_TYPES = ['application/json', 'application/x-www-form-urlencoded'] as const;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Framing, routing and hop-by-hop headers: the gateway's, never a tool's. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
  'trailer',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'http2-settings',
]);

export interface ToolParameter {
  name: string;
  in: ParameterLocation;
  required?: boolean;
  description?: string;
  schema?: Record<string, unknown>;
}

export interface ToolDefinition {
  name?: string | null;
  description: string;
  method?: string | null;
  path?: string | null;
  host?: string | null;
  scheme?: string | null;
  headers?: Record<string, string[]> | null;
  query?: Record<string, string[]> | null;
  parameters?: Record<string, unknown>[] | null;
  request_body?: Record<string, unknown> | null;
  responses?: Record<string, unknown> | null;
  annotations?: {
    title?: string | null;
    read_only_hint?: boolean | null;
    destructive_hint?: boolean | null;
    idempotent_hint?: boolean | null;
    open_world_hint?: boolean | null;
  } | null;
  acl?: { allow?: string[] | null; deny?: string[] | null } | null;
}

export function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase()
    .slice(0, 128);
}

/** The MCP name of a tool: `name`, else the title's slug, else method and path as a slug. */
export function toolNameOf(t: ToolDefinition): string {
  if (t.name) return t.name;
  if (t.annotations?.title) return slug(t.annotations.title);
  return slug(`${t.method ?? 'GET'} ${t.path ?? ''}`.replace(/[{}]/g, ''));
}

export function inputName(p: { in: string; name: string }): string {
  return `${p.in}_${p.name}`;
}

/** `{param}` names of a path template, or why it is not one. */
export function templateNames(path: string): { names: string[] } | { problem: string } {
  const names: string[] = [];
  const rest = path.replace(TEMPLATE, (_m, name: string) => {
    names.push(name);
    return '';
  });
  if (rest.includes('{') || rest.includes('}')) return { problem: `unbalanced braces in path '${path}'` };
  for (const n of names)
    if (!/^[A-Za-z0-9_.-]+$/.test(n)) return { problem: `invalid template name '{${n}}' in path '${path}'` };
  if (new Set(names).size !== names.length) return { problem: `a template name repeats in path '${path}'` };
  return { names };
}

export function fillTemplate(path: string, values: Record<string, string>): string {
  return path.replace(TEMPLATE, (_m, name: string) => values[name]);
}

export function parametersOf(t: ToolDefinition): ToolParameter[] {
  return (t.parameters ?? []) as unknown as ToolParameter[];
}

/** The JSON Schema of the request body and its media type (the first one Tollgate can send). */
export function bodyOf(
  t: ToolDefinition,
): { mediaType: string; schema: Record<string, unknown>; required: boolean } | null {
  const rb = t.request_body as {
    content?: Record<string, { schema?: Record<string, unknown> }>;
    required?: boolean;
  } | null;
  if (!rb?.content) return null;
  for (const mediaType of BODY_MEDIA_TYPES) {
    const c = rb.content[mediaType];
    if (c) return { mediaType, schema: c.schema ?? {}, required: rb.required === true };
  }
  return null;
}

/** The JSON Schema of a success response (the first 2xx with a JSON schema), for structured output. */
export function successSchemaOf(t: ToolDefinition): Record<string, unknown> | null {
  const responses = (t.responses ?? {}) as Record<
    string,
    { content?: Record<string, { schema?: Record<string, unknown> }> }
  >;
  const codes = Object.keys(responses)
    .filter((c) => /^2(\d\d|XX)$/i.test(c))
    .sort();
  for (const code of codes) {
    const content = responses[code]?.content ?? {};
    const json = Object.entries(content).find(([type]) => /^application\/([\w.+-]+\+)?json/i.test(type));
    if (json?.[1]?.schema) return json[1].schema;
  }
  return null;
}

/**
 * The output schema a tool declares (MCP wants an object): an object schema as it is, any other
 * wrapped as `{result: …}` (and so is the structured content).
 */
export function outputSchemaOf(
  t: ToolDefinition,
): { schema: Record<string, unknown>; wrapped: boolean } | null {
  const s = successSchemaOf(t);
  if (!s) return null;
  if (s.type === 'object') return { schema: s, wrapped: false };
  return {
    schema: { type: 'object', properties: { result: s }, required: ['result'], additionalProperties: false },
    wrapped: true,
  };
}

/** The MCP input schema: one property per parameter (named by location) and `body`. */
export function inputSchemaOf(t: ToolDefinition): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const p of parametersOf(t)) {
    const schema = { ...(p.schema ?? { type: 'string' }) };
    if (p.description && schema.description === undefined) schema.description = p.description;
    properties[inputName(p)] = schema;
    if (p.required || p.in === 'path') required.push(inputName(p));
  }
  const body = bodyOf(t);
  if (body) {
    properties.body = body.schema;
    if (body.required) required.push('body');
  }
  return { type: 'object', properties, required, additionalProperties: false };
}

/** Why the data plane could not serve this tool (paths relative to the tool), or none. */
export function toolDefinitionProblems(t: ToolDefinition, opts: { relativeBase: boolean }): FieldError[] {
  const errors: FieldError[] = [];
  const name = toolNameOf(t);
  if (!TOOL_NAME.test(name))
    errors.push({
      path: [t.name ? 'name' : 'annotations'],
      message: `tool name '${name}' is not a valid MCP tool name (1 to 128 of A-Z a-z 0-9 _ - .)`,
    });
  if (!t.path) errors.push({ path: ['path'], message: 'required field missing' });
  if (!t.method) errors.push({ path: ['method'], message: 'required field missing' });
  const params = parametersOf(t);
  const seen = new Set<string>();
  params.forEach((p, i) => {
    const at = ['parameters', String(i + 1)];
    if (typeof p.name !== 'string' || p.name === '')
      errors.push({ path: [...at, 'name'], message: 'required field missing' });
    if (!PARAMETER_LOCATIONS.includes(p.in as ParameterLocation))
      errors.push({
        path: [...at, 'in'],
        message: `expected one of: ${PARAMETER_LOCATIONS.join(', ')}`,
      });
    else if (typeof p.name === 'string' && seen.has(inputName(p)))
      errors.push({ path: [...at, 'name'], message: `parameter '${p.name}' in ${p.in} is defined twice` });
    if (typeof p.name === 'string') seen.add(inputName(p));
    if ((p.in === 'header' || p.in === 'cookie') && typeof p.name === 'string' && !HEADER_NAME.test(p.name))
      errors.push({ path: [...at, 'name'], message: `'${p.name}' is not a valid ${p.in} name` });
    if (p.in === 'header' && typeof p.name === 'string' && RESERVED_HEADERS.has(p.name.toLowerCase()))
      errors.push({
        path: [...at, 'name'],
        message: `header '${p.name}' is the gateway's to set, not a parameter`,
      });
    if (
      p.schema !== undefined &&
      (p.schema === null || typeof p.schema !== 'object' || Array.isArray(p.schema))
    )
      errors.push({ path: [...at, 'schema'], message: 'expected a record' });
  });
  if (t.path) {
    const tpl = templateNames(t.path);
    if ('problem' in tpl) errors.push({ path: ['path'], message: tpl.problem });
    else {
      const pathParams = params.filter((p) => p.in === 'path').map((p) => p.name);
      for (const n of tpl.names)
        if (!pathParams.includes(n))
          errors.push({ path: ['path'], message: `template '{${n}}' has no parameter with in: path` });
      for (const n of pathParams)
        if (!tpl.names.includes(n))
          errors.push({ path: ['parameters'], message: `path parameter '${n}' is not in the path template` });
    }
    if (!t.path.startsWith('/') && !opts.relativeBase)
      errors.push({
        path: ['path'],
        message: 'a relative path needs the plugin on a route with a plain (non-regex) path',
      });
    if (/[?#]/.test(t.path))
      errors.push({ path: ['path'], message: 'a path has no query or fragment (use query)' });
  }
  for (const [name, values] of Object.entries(t.headers ?? {})) {
    if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name.toLowerCase()))
      errors.push({ path: ['headers', name], message: `'${name}' is not a header a tool may set` });
    else if (!values.length || values.some((v) => !/^[\t\x20-\x7e]*$/.test(v)))
      errors.push({ path: ['headers', name], message: 'expected one or more values of visible ASCII' });
  }
  if (t.host != null && !/^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/.test(t.host))
    errors.push({ path: ['host'], message: `'${t.host}' is not a host name` });
  const rb = t.request_body as { content?: unknown } | null | undefined;
  if (rb && !bodyOf(t))
    errors.push({
      path: ['request_body', 'content'],
      message: `needs a schema for one of: ${BODY_MEDIA_TYPES.join(', ')}`,
    });
  return errors;
}
