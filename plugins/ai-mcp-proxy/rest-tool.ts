/**
 * One converted tool, compiled once per snapshot: its MCP listing, its argument check, the HTTP
 * request a call becomes and the MCP result an HTTP response becomes.
 *
 * Fail closed: arguments are validated against the input schema before anything is built; a
 * path parameter that could step out of its segment ('/', '\\', '%', '.' or '..', controls) is
 * refused, never escaped and hoped for (Kong 3.13 fixed a traversal there); a response the
 * gateway cannot read as the type it claims, or that does not match a declared output schema,
 * becomes an error result, never content passed on unread.
 */
import { ApplyError } from '../../data-plane/runtime/entity';
import type { HeaderMap } from '../../data-plane/runtime/plugin-api';
import type { RouteCallResult } from '../../data-plane/runtime/route-caller';
import type { Acl } from './tool-acl';
import {
  bodyOf,
  fillTemplate,
  inputName,
  inputSchemaOf,
  outputSchemaOf,
  parametersOf,
  toolDefinitionProblems,
  toolNameOf,
  type ToolDefinition,
} from './tool-definitions';
import { compileSchema, describeErrors } from './tool-schemas';
import { parseStrictJson } from '../../data-plane/mcp/jsonrpc';
import { notForwardedOnCalls } from '../../data-plane/pdk/url-override';

export interface ToolRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: HeaderMap;
  body: Buffer | null;
  scheme: 'http' | 'https' | null;
  hostHeader: string | null;
}

export interface CallToolResult {
  content: Record<string, unknown>[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

export interface RestTool {
  name: string;
  /** The tool as tools/list shows it. */
  listing: Record<string, unknown>;
  acl: Acl | null;
  /** Why these arguments are refused (-32602), or null. */
  argumentProblem(args: unknown): string | null;
  request(args: Record<string, unknown>, clientHeaders: HeaderMap | null): ToolRequest | { problem: string };
  result(res: RouteCallResult): CallToolResult;
}

const TEXTUAL =
  /^(text\/|application\/([\w.+-]+\+)?(json|xml)|application\/(javascript|x-www-form-urlencoded|yaml|x-yaml))/i;
const JSON_TYPE = /^application\/([\w.+-]+\+)?json/i;

function mediaTypeOf(headers: HeaderMap): string {
  const v = headers['content-type'];
  return String(Array.isArray(v) ? v[0] : (v ?? ''))
    .split(';')[0]
    .trim()
    .toLowerCase();
}

function scalar(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function pathSegmentProblem(name: string, value: string): string | null {
  // `?` and `#` would end the path for a server that decodes before it parses; `%` covers every
  // encoded form of all of them.
  // eslint-disable-next-line no-control-regex
  if (value === '' || value === '.' || value === '..' || /[/\\%?#\u0000-\u001f\u007f]/.test(value))
    return `path parameter '${name}' may not be empty, '.' or '..', nor contain '/', '\\', '?', '#', '%' or control characters`;
  return null;
}

function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

const starts = (body: Buffer, ...bytes: number[]) => bytes.every((b, i) => body[i] === b);
const latin1 = (body: Buffer, from: number, to: number) => body.subarray(from, to).toString('latin1');
const IMAGE_MAGIC: Record<string, (body: Buffer) => boolean> = {
  'image/png': (b) => starts(b, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
  'image/jpeg': (b) => starts(b, 0xff, 0xd8, 0xff),
  'image/gif': (b) => latin1(b, 0, 6) === 'GIF87a' || latin1(b, 0, 6) === 'GIF89a',
  'image/webp': (b) => latin1(b, 0, 4) === 'RIFF' && latin1(b, 8, 12) === 'WEBP',
};

/** Where an integer lost digits when it was parsed (beyond 2^53), or null. */
function inexactNumber(value: unknown, at: string): string | null {
  if (typeof value === 'number') return Number.isInteger(value) && !Number.isSafeInteger(value) ? at : null;
  if (!value || typeof value !== 'object') return null;
  for (const [k, v] of Object.entries(value)) {
    const found = inexactNumber(v, `${at}.${k}`);
    if (found) return found;
  }
  return null;
}

/**
 * Compile a tool. `basePath` is what a relative path joins (the route's plain path);
 * `acl` the ACL it is judged by.
 */
export function compileRestTool(
  def: ToolDefinition,
  opts: { basePath: string | null; acl: Acl | null },
): RestTool {
  const problems = toolDefinitionProblems(def, { relativeBase: opts.basePath !== null });
  if (problems.length)
    throw new ApplyError(`tool '${toolNameOf(def)}': ${problems[0].path.join('.')}: ${problems[0].message}`);
  const name = toolNameOf(def);
  const inputSchema = inputSchemaOf(def);
  const validateInput = compileSchema(inputSchema);
  if ('problem' in validateInput) throw new ApplyError(`tool '${name}': input ${validateInput.problem}`);
  const output = outputSchemaOf(def);
  const validateOutput = output ? compileSchema(output.schema) : null;
  if (validateOutput && 'problem' in validateOutput)
    throw new ApplyError(`tool '${name}': output ${validateOutput.problem}`);
  const params = parametersOf(def);
  const body = bodyOf(def);
  const method = String(def.method);
  const rawPath = def.path!.startsWith('/')
    ? def.path!
    : `${(opts.basePath ?? '').replace(/\/+$/, '')}/${def.path}`;
  const fixedHeaders: HeaderMap = {};
  for (const [k, v] of Object.entries(def.headers ?? {}))
    fixedHeaders[k.toLowerCase()] = v.length === 1 ? v[0] : v;
  const ownHeaders = new Set([
    ...Object.keys(fixedHeaders),
    ...params.filter((p) => p.in === 'header').map((p) => p.name.toLowerCase()),
    ...(params.some((p) => p.in === 'cookie') ? ['cookie'] : []),
  ]);

  const annotations: Record<string, unknown> = {};
  const a = def.annotations ?? {};
  if (a.title) annotations.title = a.title;
  if (a.read_only_hint != null) annotations.readOnlyHint = a.read_only_hint;
  if (a.destructive_hint != null) annotations.destructiveHint = a.destructive_hint;
  if (a.idempotent_hint != null) annotations.idempotentHint = a.idempotent_hint;
  if (a.open_world_hint != null) annotations.openWorldHint = a.open_world_hint;
  const listing: Record<string, unknown> = { name, description: def.description, inputSchema };
  if (a.title) listing.title = a.title;
  if (output) listing.outputSchema = output.schema;
  if (Object.keys(annotations).length) listing.annotations = annotations;

  return {
    name,
    listing,
    acl: opts.acl,
    argumentProblem(args) {
      if (args === undefined) args = {};
      if (!args || typeof args !== 'object' || Array.isArray(args)) return 'arguments must be an object';
      const inexact = inexactNumber(args, 'arguments');
      if (inexact) return `${inexact} is an integer too large to pass on exactly`;
      return validateInput(args) ? null : describeErrors(validateInput.errors);
    },
    request(args, clientHeaders) {
      const pathValues: Record<string, string> = {};
      const query = new URLSearchParams();
      for (const [k, values] of Object.entries(def.query ?? {})) for (const v of values) query.append(k, v);
      const headers: HeaderMap = {};
      // The client's headers never stand in for the tool's own (a header parameter left out is
      // absent, not the client's copy, unvalidated), nor its cookies for cookie parameters.
      if (clientHeaders)
        for (const [k, v] of Object.entries(clientHeaders))
          if (!notForwardedOnCalls(k) && !ownHeaders.has(k)) headers[k] = v;
      Object.assign(headers, fixedHeaders);
      const cookies: string[] = [];
      for (const p of params) {
        const v = args[inputName(p)];
        if (v === undefined) continue;
        switch (p.in) {
          case 'path': {
            const s = scalar(v);
            const problem = pathSegmentProblem(p.name, s);
            if (problem) return { problem };
            pathValues[p.name] = encodeURIComponent(s);
            break;
          }
          case 'query':
            if (Array.isArray(v)) for (const item of v) query.append(p.name, scalar(item));
            else query.append(p.name, scalar(v));
            break;
          case 'header': {
            const s = Array.isArray(v) ? v.map(scalar).join(', ') : scalar(v);
            // Visible ASCII, space and tab only: no line breaks, nothing a server decodes its own way.
            if (!/^[\t\x20-\x7e]*$/.test(s))
              return {
                problem: `header parameter '${p.name}' has line breaks or characters outside visible ASCII`,
              };
            headers[p.name.toLowerCase()] = s;
            break;
          }
          case 'cookie': {
            const s = scalar(v);
            if (/[;\r\n,\s]/.test(s)) return { problem: `cookie parameter '${p.name}' has a separator` };
            cookies.push(`${p.name}=${encodeURIComponent(s)}`);
            break;
          }
        }
      }
      if (cookies.length) headers.cookie = [headers.cookie, ...cookies].filter(Boolean).join('; ');
      let payload: Buffer | null = null;
      if (body && args.body !== undefined) {
        if (body.mediaType === 'application/json') payload = Buffer.from(JSON.stringify(args.body));
        else {
          const form = new URLSearchParams();
          const fields = args.body;
          if (!fields || typeof fields !== 'object' || Array.isArray(fields))
            return { problem: 'body must be an object for a form body' };
          for (const [k, v] of Object.entries(fields))
            for (const item of Array.isArray(v) ? v : [v]) form.append(k, scalar(item));
          payload = Buffer.from(form.toString());
        }
        headers['content-type'] = body.mediaType;
      }
      headers.accept = 'application/json, */*;q=0.5';
      return {
        method,
        path: fillTemplate(rawPath, pathValues),
        query,
        headers,
        body: payload,
        scheme: (def.scheme as 'http' | 'https' | null) ?? null,
        hostHeader: def.host ?? null,
      };
    },
    result(res) {
      const type = mediaTypeOf(res.headers);
      if (res.source === 'gateway') {
        let message = `HTTP ${res.status}`;
        try {
          const m = JSON.parse(res.body.toString('utf8'))?.message;
          if (typeof m === 'string') message += `: ${m}`;
        } catch {
          /* a plugin's exit without a Kong body: the status says it */
        }
        return errorResult(`the gateway refused the call (${message})`);
      }
      const failed = res.status >= 400;
      if (res.body.length && type.startsWith('image/') && !failed) {
        // Raster images whose bytes are what they claim; SVG (a document with scripts) is not.
        const magic = IMAGE_MAGIC[type];
        if (!magic || !magic(res.body))
          return errorResult(
            `HTTP ${res.status}: the upstream answered '${type}' that this tool cannot return`,
          );
        return { content: [{ type: 'image', data: res.body.toString('base64'), mimeType: type }] };
      }
      if (res.body.length && type.startsWith('audio/') && !failed)
        return { content: [{ type: 'audio', data: res.body.toString('base64'), mimeType: type }] };
      if (res.body.length && type !== '' && !TEXTUAL.test(type))
        return errorResult(
          `HTTP ${res.status}: the upstream answered with '${type}', which this tool cannot return`,
        );
      let text: string;
      try {
        text = utf8.decode(res.body);
      } catch {
        return errorResult(`HTTP ${res.status}: the upstream's answer is not valid UTF-8`);
      }
      if (failed) return errorResult(`HTTP ${res.status}${text ? `: ${text}` : ''}`);
      let parsed: unknown;
      const isJson = JSON_TYPE.test(type);
      if (isJson && text.trim() !== '') {
        // Strictly: duplicate keys would be read one way here and another by the client.
        const strict = parseStrictJson(text);
        if ('code' in strict)
          return errorResult(
            `HTTP ${res.status}: the upstream's answer is not the JSON it claims to be (${strict.message})`,
          );
        parsed = strict.value;
        text = strict.json;
      }
      const out: CallToolResult = { content: [{ type: 'text', text }] };
      if (output && validateOutput && !('problem' in validateOutput)) {
        if (!isJson)
          return errorResult(
            `HTTP ${res.status}: the tool declares JSON output, the upstream sent '${type || 'no type'}'`,
          );
        const structured = output.wrapped ? { result: parsed } : parsed;
        if (!validateOutput(structured))
          return errorResult(
            `HTTP ${res.status}: the upstream's answer does not match the tool's output schema (${describeErrors(validateOutput.errors)})`,
          );
        out.structuredContent = structured as Record<string, unknown>;
      }
      return out;
    },
  };
}
