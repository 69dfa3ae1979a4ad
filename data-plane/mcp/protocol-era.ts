/**
 * The two eras of MCP one route serves (docs/specification/2026-07-28/basic/versioning.mdx):
 * **modern** (2026-07-28: stateless, every request carries its version and capabilities in
 * `_meta`, required `Mcp-Method`/`Mcp-Name` headers) and **legacy** (2025-11-25 and before:
 * `initialize`, `Mcp-Session-Id`). The era is decided per request, as the spec's dual-era
 * reference server decides it: a request is modern when a message carries the `_meta` protocol
 * version, or its `MCP-Protocol-Version` header names a version that is not a legacy one; else
 * it is legacy. What is then judged differs (request-headers.ts, methods.ts).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { JsonRpcMessage } from './jsonrpc';

/** The modern revisions the gateway understands, newest first. */
export const MODERN_VERSIONS: readonly string[] = ['2026-07-28'];
/** The legacy revisions (sessions, `initialize`). */
export const LEGACY_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];
export const SUPPORTED_VERSIONS: readonly string[] = [...MODERN_VERSIONS, ...LEGACY_VERSIONS];

/** The `_meta` keys of a modern request and result. */
export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  subscriptionId: 'io.modelcontextprotocol/subscriptionId',
} as const;

export type Era = 'modern' | 'legacy';

/** JSON-RPC codes the modern revision reserves (-32020 … -32099). */
export const MODERN_ERRORS = {
  HEADER_MISMATCH: -32020,
  MISSING_CLIENT_CAPABILITY: -32021,
  UNSUPPORTED_PROTOCOL_VERSION: -32022,
} as const;

/** A message's `params._meta`, when it is an object. */
export function metaOf(m: JsonRpcMessage): Record<string, unknown> | undefined {
  if (m.kind === 'response' || !m.params || Array.isArray(m.params)) return undefined;
  const meta = m.params._meta;
  return meta && typeof meta === 'object' && !Array.isArray(meta)
    ? (meta as Record<string, unknown>)
    : undefined;
}

/** The one `MCP-Protocol-Version` value, when the header came once. */
export function protocolHeader(headers: IncomingHttpHeaders): string | undefined {
  const v = headers['mcp-protocol-version'];
  return typeof v === 'string' ? v.trim() : undefined;
}

export function eraOf(headers: IncomingHttpHeaders, messages: readonly JsonRpcMessage[]): Era {
  if (messages.some((m) => metaOf(m)?.[META.protocolVersion] !== undefined)) return 'modern';
  const header = headers['mcp-protocol-version'];
  if (header === undefined) return 'legacy';
  // A repeated or unknown version is not a legacy one: judged as modern, it is refused there.
  return typeof header === 'string' && LEGACY_VERSIONS.includes(header.trim()) ? 'legacy' : 'modern';
}

/** The era of a request without a body (GET, DELETE): modern only by its header. */
export function eraOfHeaders(headers: IncomingHttpHeaders): Era {
  return eraOf(headers, []);
}

/** `clientInfo` as one text (`name/version`), when it names the client. */
function clientText(info: unknown): string | null {
  if (!info || typeof info !== 'object') return null;
  const { name, version } = info as Record<string, unknown>;
  if (typeof name !== 'string') return null;
  return typeof version === 'string' ? `${name}/${version}` : name;
}

/**
 * What a request says of its protocol revision and its client, for analytics: a modern
 * request's `_meta`; a legacy one's `initialize` params, else its `MCP-Protocol-Version` header.
 */
export function speakerOf(
  headers: IncomingHttpHeaders,
  messages: readonly JsonRpcMessage[],
  era: Era,
): { version: string | null; client: string | null } {
  const first = messages[0];
  if (era === 'modern' && first) {
    const meta = metaOf(first);
    const version = meta?.[META.protocolVersion];
    return {
      version: typeof version === 'string' ? version : null,
      client: clientText(meta?.[META.clientInfo]),
    };
  }
  const init = messages.find((m) => m.kind === 'request' && m.method === 'initialize');
  const params =
    init && init.kind === 'request' && init.params && !Array.isArray(init.params) ? init.params : undefined;
  const asked = params?.protocolVersion;
  return {
    version: typeof asked === 'string' ? asked : (protocolHeader(headers) ?? null),
    client: clientText(params?.clientInfo),
  };
}
