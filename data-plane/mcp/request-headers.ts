/**
 * The standard request headers of MCP 2026-07-28 (basic/transports/streamable-http.mdx):
 * `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` and `Mcp-Param-{Name}` mirror the body so that
 * intermediaries and servers can route on them, and a server MUST refuse a request whose headers
 * are missing or disagree with the body (400, -32020 HeaderMismatch).
 *
 * The gateway judges the body; an upstream (or a router before it) may dispatch on the headers.
 * So a modern request's headers are checked against the judged body — exactly one of each,
 * values trimmed of optional whitespace, the Base64 sentinel decoded, `Mcp-Param-*` against the
 * tool's `x-mcp-header` annotations when the gateway has seen the tool listed — and what goes
 * upstream carries headers written again from the judged body, never the client's.
 */
import type { IncomingMessage } from 'node:http';
import type { JsonRpcMessage } from './jsonrpc';

export const MCP_METHOD = 'mcp-method';
export const MCP_NAME = 'mcp-name';
export const MCP_PROTOCOL_VERSION = 'mcp-protocol-version';
const PARAM_PREFIX = 'mcp-param-';

/** Which param `Mcp-Name` mirrors, per method (the tasks extension's methods name a task). */
const NAME_PARAM: Readonly<Record<string, string>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

/** The value `Mcp-Name` must carry for this message, or undefined when the method has none. */
export function nameOf(m: JsonRpcMessage): string | undefined {
  if (m.kind === 'response') return undefined;
  const param = NAME_PARAM[m.method];
  if (!param || !m.params || Array.isArray(m.params)) return undefined;
  const v = m.params[param];
  return typeof v === 'string' ? v : undefined;
}

export const hasName = (method: string) => method in NAME_PARAM;

const SENTINEL = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
/** What a header carries as it is: visible ASCII, inner spaces and tabs. */
const PLAIN_VALUE = /^[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?$/;

/**
 * A header value as the spec reads it: optional whitespace trimmed, then the Base64 sentinel
 * (`=?base64?…?=`, markers lower case) decoded as UTF-8. Null: it cannot be read (bad Base64
 * or padding, invalid UTF-8, characters a plain value may not have).
 */
export function decodeHeaderValue(raw: string): string | null {
  const value = raw.replace(/^[ \t]+|[ \t]+$/g, '');
  const m = SENTINEL.exec(value);
  if (m) {
    if (m[1].length % 4 !== 0) return null;
    try {
      return STRICT_UTF8.decode(Buffer.from(m[1], 'base64'));
    } catch {
      return null;
    }
  }
  return value === '' || PLAIN_VALUE.test(value) ? value : null;
}

/** A value as a header carries it: plain when it can be, else the Base64 sentinel. */
export function encodeHeaderValue(value: string): string {
  return PLAIN_VALUE.test(value) && !SENTINEL.test(value)
    ? value
    : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** Every value each MCP header came with, from the raw header list (repeats are seen). */
export function mcpHeadersOf(req: IncomingMessage): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (
      name !== MCP_METHOD &&
      name !== MCP_NAME &&
      name !== MCP_PROTOCOL_VERSION &&
      !name.startsWith(PARAM_PREFIX)
    )
      continue;
    const list = out.get(name);
    if (list) list.push(raw[i + 1]);
    else out.set(name, [raw[i + 1]]);
  }
  return out;
}

/** A tool parameter a header mirrors (`"x-mcp-header": "Region"` → `Mcp-Param-Region`). */
export interface HeaderParam {
  /** Where the argument is: its name, through nested objects' `properties`. */
  path: string[];
  /** The header's name, lower case. */
  header: string;
  type: 'string' | 'integer' | 'boolean';
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The header parameters of a tool's input schema: `x-mcp-header` on a property reachable
 * through `properties` alone (never `items`, `anyOf`, `$ref`, …: those are not walked), a
 * token, unique ignoring case, on a string, integer or boolean.
 * Null when an annotation breaks those rules (the spec's clients drop such a tool; so does the
 * gateway's judge).
 */
export function headerParamsOf(inputSchema: unknown): HeaderParam[] | null {
  const out: HeaderParam[] = [];
  const seen = new Set<string>();
  const walk = (schema: unknown, path: string[]): boolean => {
    if (!schema || typeof schema !== 'object') return true;
    const props = (schema as Record<string, unknown>).properties;
    if (!props || typeof props !== 'object') return true;
    for (const [key, sub] of Object.entries(props as Record<string, unknown>)) {
      if (!sub || typeof sub !== 'object') continue;
      const annotation = (sub as Record<string, unknown>)['x-mcp-header'];
      if (annotation !== undefined) {
        const type = (sub as Record<string, unknown>).type;
        if (typeof annotation !== 'string' || !TOKEN.test(annotation)) return false;
        if (type !== 'string' && type !== 'integer' && type !== 'boolean') return false;
        const header = PARAM_PREFIX + annotation.toLowerCase();
        if (seen.has(header)) return false;
        seen.add(header);
        out.push({ path: [...path, key], header, type });
      }
      if (!walk(sub, [...path, key])) return false;
    }
    return true;
  };
  return walk(inputSchema, []) ? out : null;
}

/** The header value an argument is mirrored as, or undefined when the header is left out. */
export function headerValueOf(p: HeaderParam, args: Record<string, unknown> | undefined): string | undefined {
  let v: unknown = args;
  for (const key of p.path)
    v = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[key] : undefined;
  if (v === undefined || v === null) return undefined;
  if (p.type === 'integer' && typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (p.type === 'boolean' && typeof v === 'boolean') return String(v);
  if (p.type === 'string' && typeof v === 'string') return v;
  return undefined;
}
