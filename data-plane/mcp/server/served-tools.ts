/** What the gateway's own MCP server serves, and how it reports what it did (both eras). */
import type { JsonRpcId } from '../jsonrpc';
import type { RequestContextApi } from '../../runtime/plugin-api';
import type { HeaderParam } from '../request-headers';
import type { SessionSealer } from './session-ids';

export interface ToolCallOutcome {
  result?: unknown;
  error?: { code: number; message: string };
}

/** What the server offers: the caller's tools, and calling one. */
export interface ServedTools {
  list(ctx: RequestContextApi): Record<string, unknown>[];
  /** A tool's `x-mcp-header` parameters (2026-07-28 `Mcp-Param-*`), when it is served here. */
  headerParams?(name: string): HeaderParam[] | null | undefined;
  call(ctx: RequestContextApi, name: string, args: unknown, id: JsonRpcId): Promise<ToolCallOutcome>;
}

export interface ServerOptions {
  name: string;
  version: string;
  maxBodyBytes: number;
  /** Null: sessions not managed (no Mcp-Session-Id). */
  sessions: SessionSealer | null;
  log?: (line: string) => void;
  /** One analytics entry per message handled (with the reply sent, if any). */
  record(entry: {
    method: string | null;
    tool: string | null;
    error: number | null;
    id?: JsonRpcId;
    reply?: unknown;
  }): void;
}
