/** What the gateway's own MCP server serves, and how it reports what it did (both eras). */
import type { JsonRpcId } from '../jsonrpc';
import type { RequestContextApi } from '../../runtime/plugin-api';
import type { HeaderParam } from '../request-headers';
import type { SessionSealer } from './session-ids';

export interface ToolCallOutcome {
  result?: unknown;
  error?: { code: number; message: string };
}

/** A caller's tools, and what the list result's `_meta` says besides (sources left out). */
export interface ToolList {
  tools: Record<string, unknown>[];
  meta?: Record<string, unknown>;
}

/** A list that cannot be made: answered with this JSON-RPC error. */
export class ToolListError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Progress of a call, as a source reports it (relayed with the client's own token). */
export interface Progress {
  progress: number;
  total?: number;
  message?: string;
}
export type ProgressSink = (progress: Progress) => void;

/** How a call is to run, as its client asked. */
export interface CallOptions {
  /** Its progress, where the tool reports it. */
  progress?: ProgressSink;
  /** Run as a task (2025-11-25 `params.task`), where the tool's server runs tasks. */
  task?: { ttl?: number };
}

/** What the server offers: the caller's tools, and calling one. */
export interface ServedTools {
  /** May throw ToolListError. */
  list(ctx: RequestContextApi): ToolList | Promise<ToolList>;
  /** A tool's `x-mcp-header` parameters (2026-07-28 `Mcp-Param-*`), when it is served here. */
  headerParams?(name: string): HeaderParam[] | null | undefined;
  call(
    ctx: RequestContextApi,
    name: string,
    args: unknown,
    id: JsonRpcId,
    how?: CallOptions,
  ): Promise<ToolCallOutcome>;
  /** Calls may report progress (a listener's sources): a call asking for it is answered as a stream. */
  relaysProgress?: boolean;
  /** Capabilities beside `tools` (a listener's sources: prompts, resources). */
  capabilities?: Record<string, unknown>;
  /**
   * The server's own stream of notifications, where it has one (a listener's sources): each
   * message to `send` as it comes, until `signal` aborts. `opened`: whether there is one.
   */
  listen?(
    ctx: RequestContextApi,
    sessionId: string | null,
    send: (message: Record<string, unknown>) => void,
    signal: AbortSignal,
  ): { opened: Promise<boolean>; ended: Promise<void> };
  /** The client ended its session (a 2025 DELETE): what was kept for it is ended too. */
  endSession?(ctx: RequestContextApi, sessionId: string): Promise<void>;
  /** Another method this server answers (prompts, resources), or null: not found (-32601). */
  other?(
    ctx: RequestContextApi,
    method: string,
    params: Record<string, unknown>,
  ): Promise<ToolCallOutcome> | null;
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

/** A `tools/list` result, or the error a list that cannot be made is answered with. */
export async function listOutcome(tools: ServedTools, ctx: RequestContextApi): Promise<ToolCallOutcome> {
  try {
    const list = await tools.list(ctx);
    return { result: list.meta ? { tools: list.tools, _meta: list.meta } : { tools: list.tools } };
  } catch (err) {
    if (err instanceof ToolListError) return { error: { code: err.code, message: err.message } };
    throw err;
  }
}
