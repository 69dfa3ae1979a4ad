/**
 * What each era may send, judged before any tool is (before the ACLs): a request the two eras
 * would read differently, or an upstream could route differently from what the gateway judged,
 * never goes upstream. In the order the conformance suite expects for a modern request:
 * `_meta` (-32602), then the headers against the body (-32020), then the version (-32022), then
 * methods outside the era (404, -32601). And the headers that go upstream, written again.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { JSONRPC_ERRORS, type JsonRpcMessage } from './jsonrpc';
import { isModernOnly, isLegacyOnly } from './methods';
import { META, MODERN_ERRORS, MODERN_VERSIONS, metaOf, type Era } from './protocol-era';
import {
  MCP_METHOD,
  MCP_NAME,
  MCP_PROTOCOL_VERSION,
  decodeHeaderValue,
  encodeHeaderValue,
  hasName,
  headerValueOf,
  mcpHeadersOf,
  nameOf,
  type HeaderParam,
} from './request-headers';

export interface EraProblem {
  status: number;
  code: number;
  message: string;
  data?: unknown;
}

/** The tool's `x-mcp-header` parameters when the gateway has seen it listed (else undefined). */
export type HeaderParamsOfTool = (tool: string) => HeaderParam[] | null | undefined;

const mismatch = (message: string): EraProblem => ({
  status: 400,
  code: MODERN_ERRORS.HEADER_MISMATCH,
  message: `Header mismatch: ${message}`,
});

/** The one value of a header, decoded; a problem when it is missing, repeated or unreadable. */
function single(headers: Map<string, string[]>, name: string, label: string): string | EraProblem {
  const values = headers.get(name);
  if (!values) return mismatch(`the ${label} header is required`);
  if (values.length > 1) return mismatch(`the ${label} header is repeated`);
  const value = decodeHeaderValue(values[0]);
  return value === null ? mismatch(`the ${label} header cannot be read`) : value;
}

function paramsOf(m: JsonRpcMessage): Record<string, unknown> | undefined {
  return m.kind !== 'response' && m.params && !Array.isArray(m.params) ? m.params : undefined;
}

/** `Mcp-Param-*` against the tool's annotations: each expected one present and equal, no other. */
function paramHeadersProblem(
  headers: Map<string, string[]>,
  m: JsonRpcMessage,
  params: HeaderParam[],
): EraProblem | null {
  const args = paramsOf(m)?.arguments as Record<string, unknown> | undefined;
  const expected = new Map<string, { value: string; type: HeaderParam['type'] }>();
  for (const p of params) {
    const v = headerValueOf(p, args);
    if (v !== undefined) expected.set(p.header, { value: v, type: p.type });
  }
  for (const name of headers.keys()) {
    if (!name.startsWith('mcp-param-')) continue;
    if (!expected.has(name)) return mismatch(`${name} names no argument of this call`);
  }
  for (const [name, want] of expected) {
    const got = single(headers, name, name);
    if (typeof got !== 'string') return got;
    const equal =
      want.type === 'integer'
        ? /^-?\d+$/.test(got) && Number(got) === Number(want.value)
        : got === want.value;
    if (!equal) return mismatch(`${name} header value does not match the argument`);
  }
  return null;
}

/** `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*` against the message. */
function mirrorProblem(
  headers: Map<string, string[]>,
  m: JsonRpcMessage & { method: string },
  toolParams: HeaderParamsOfTool,
): EraProblem | null {
  const method = single(headers, MCP_METHOD, 'Mcp-Method');
  if (typeof method !== 'string') return method;
  if (method !== m.method)
    return mismatch(`Mcp-Method header value '${method}' does not match body value '${m.method}'`);
  const want = nameOf(m);
  if (hasName(m.method)) {
    const name = single(headers, MCP_NAME, 'Mcp-Name');
    if (typeof name !== 'string') return name;
    if (want === undefined || name !== want) return mismatch(`Mcp-Name header value does not match the body`);
  } else if (headers.has(MCP_NAME)) return mismatch(`${m.method} has no Mcp-Name`);
  if (m.kind === 'request' && m.method === 'tools/call') {
    const params = toolParams(m.tool!);
    if (params === null) return mismatch(`tool '${m.tool}' has header annotations the gateway cannot apply`);
    if (params) return paramHeadersProblem(headers, m, params);
  }
  return null;
}

const invalid = (message: string): EraProblem => ({
  status: 400,
  code: JSONRPC_ERRORS.INVALID_REQUEST,
  message,
});

/** Why a modern request cannot go upstream, or null. */
export function modernProblem(
  req: IncomingMessage,
  messages: readonly JsonRpcMessage[],
  batch: boolean,
  toolParams: HeaderParamsOfTool,
): EraProblem | null {
  if (batch) return invalid('Invalid Request: 2026-07-28 has no batches');
  const m = messages[0];
  if (m.kind === 'response') return invalid('Invalid Request: a 2026-07-28 client sends no responses');
  if (req.headers['mcp-session-id'] !== undefined)
    return invalid(
      'Invalid Request: a 2026-07-28 request carries no Mcp-Session-Id (sessions are 2025-11-25)',
    );
  const meta = metaOf(m);
  const version = meta?.[META.protocolVersion];
  const capabilities = meta?.[META.clientCapabilities];
  if (
    m.kind === 'request' &&
    (typeof version !== 'string' || !capabilities || typeof capabilities !== 'object')
  )
    return {
      status: 400,
      code: JSONRPC_ERRORS.INVALID_PARAMS,
      message: `Invalid params: _meta must carry ${META.protocolVersion} and ${META.clientCapabilities}`,
    };
  const headers = mcpHeadersOf(req);
  const header = single(headers, MCP_PROTOCOL_VERSION, 'MCP-Protocol-Version');
  if (typeof header !== 'string') return header;
  if (version !== undefined && header !== version)
    return mismatch(
      `MCP-Protocol-Version header value '${header}' does not match _meta value '${String(version)}'`,
    );
  if (!MODERN_VERSIONS.includes(header))
    return {
      status: 400,
      code: MODERN_ERRORS.UNSUPPORTED_PROTOCOL_VERSION,
      message: 'Unsupported protocol version',
      // The versions a request without a session may name (a subset of any modern upstream's
      // server/discover): the earlier ones are reached with initialize.
      data: { supported: MODERN_VERSIONS, requested: header },
    };
  const problem = mirrorProblem(headers, m, toolParams);
  if (problem) return problem;
  if (isLegacyOnly(m.method))
    return {
      status: 404,
      code: JSONRPC_ERRORS.METHOD_NOT_FOUND,
      message: `Method not found: ${m.method} is not a 2026-07-28 method`,
    };
  return null;
}

/**
 * Why a legacy request cannot go upstream, or null: methods only the modern era has, and an
 * `initialize` that is not a session's start — in a batch, or within a session (a lenient
 * upstream would renegotiate the session's revision and capabilities under the gateway's feet).
 */
export function legacyProblem(
  headers: IncomingHttpHeaders,
  messages: readonly JsonRpcMessage[],
): EraProblem | null {
  for (const m of messages) {
    if (m.kind === 'response') continue;
    if (isModernOnly(m.method))
      return {
        status: 200,
        code: JSONRPC_ERRORS.METHOD_NOT_FOUND,
        message: `Method not found: ${m.method} is a 2026-07-28 method (this session speaks an earlier revision)`,
      };
    if (m.method !== 'initialize') continue;
    if (messages.length > 1) return invalid('Invalid Request: initialize must be sent alone');
    if (headers['mcp-session-id'] !== undefined)
      return invalid(
        'Invalid Request: initialize starts a session; it cannot be sent within one (Mcp-Session-Id)',
      );
  }
  return null;
}

/**
 * The MCP headers that go upstream, written from the judged message: for a modern request its
 * version, method, name and the arguments the tool's annotations mirror (when the gateway knows
 * them); for a legacy one none but the client's `MCP-Protocol-Version` (which its revision has).
 */
export function upstreamMcpHeaders(
  headers: Record<string, string | string[]>,
  era: Era,
  m: JsonRpcMessage | undefined,
  toolParams: HeaderParamsOfTool,
): void {
  for (const name of Object.keys(headers))
    if (name === MCP_METHOD || name === MCP_NAME || name.startsWith('mcp-param-')) delete headers[name];
  if (era !== 'modern' || !m || m.kind === 'response') return;
  const version = metaOf(m)?.[META.protocolVersion];
  if (typeof version === 'string') headers[MCP_PROTOCOL_VERSION] = version;
  headers[MCP_METHOD] = encodeHeaderValue(m.method);
  const name = nameOf(m);
  if (name !== undefined) headers[MCP_NAME] = encodeHeaderValue(name);
  if (m.kind !== 'request' || m.method !== 'tools/call') return;
  const args = paramsOf(m)?.arguments as Record<string, unknown> | undefined;
  for (const p of toolParams(m.tool!) ?? []) {
    const v = headerValueOf(p, args);
    if (v !== undefined) headers[p.header] = encodeHeaderValue(v);
  }
}
