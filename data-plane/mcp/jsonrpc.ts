/**
 * Strict JSON-RPC 2.0 reading for MCP traffic. Principle: the gateway and the upstream must
 * never disagree about which method or tool a message invokes, so anything the gateway cannot
 * read unambiguously (duplicate keys, wrong types, oversize bodies) is rejected with a JSON-RPC
 * error instead of being forwarded.
 */
import { parse as parseJsonAst, type AnyNode } from '@humanwhocodes/momoa';

export const JSONRPC_ERRORS = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
} as const;

export type JsonRpcId = string | number;

export type JsonRpcMessage =
  | {
      kind: 'request';
      id: JsonRpcId;
      method: string;
      params?: Record<string, unknown> | unknown[];
      tool?: string;
    }
  | { kind: 'notification'; method: string; params?: Record<string, unknown> | unknown[] }
  | {
      kind: 'response';
      id: JsonRpcId | null;
      result?: unknown;
      error?: { code: number; message: string; data?: unknown };
    };

export interface JsonRpcProblem {
  code: number;
  message: string;
  /** The id of the offending message when it could be read. */
  id: JsonRpcId | null;
}

export type ParsedBody =
  { ok: true; batch: boolean; messages: JsonRpcMessage[] } | { ok: false; problem: JsonRpcProblem };

/** Evaluate a JSON AST into a value, refusing duplicate member names anywhere. */
function evaluate(node: AnyNode): unknown {
  switch (node.type) {
    case 'Document':
      return evaluate(node.body);
    case 'Object': {
      const out: Record<string, unknown> = Object.create(null);
      for (const m of node.members) {
        const name = m.name.type === 'String' ? m.name.value : String((m.name as any).name);
        if (Object.prototype.hasOwnProperty.call(out, name)) throw new DuplicateKey(name);
        out[name] = evaluate(m.value);
      }
      return Object.assign({}, out);
    }
    case 'Array':
      return node.elements.map((e) => evaluate(e.value));
    case 'String':
    case 'Number':
    case 'Boolean':
      return node.value;
    case 'Null':
      return null;
    default:
      throw new Error(`unexpected JSON node ${node.type}`);
  }
}

class DuplicateKey extends Error {
  constructor(readonly key: string) {
    super(`duplicate key '${key}'`);
  }
}

function isId(v: unknown): v is JsonRpcId {
  return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));
}

/** One JSON-RPC message, or the reason it is not one. */
export function classify(value: unknown): JsonRpcMessage | JsonRpcProblem {
  const invalid = (message: string, id: JsonRpcId | null = null): JsonRpcProblem => ({
    code: JSONRPC_ERRORS.INVALID_REQUEST,
    message: `Invalid Request: ${message}`,
    id,
  });
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return invalid('a message must be an object');
  const m = value as Record<string, unknown>;
  const id = isId(m.id) ? m.id : null;
  if (m.jsonrpc !== '2.0') return invalid('"jsonrpc" must be "2.0"', id);
  if ('method' in m) {
    if (typeof m.method !== 'string' || m.method === '')
      return invalid('"method" must be a non-empty string', id);
    if (m.params !== undefined && (m.params === null || typeof m.params !== 'object')) {
      return invalid('"params" must be an object or an array', id);
    }
    if ('result' in m || 'error' in m) return invalid('a request cannot carry "result" or "error"', id);
    const params = m.params as Record<string, unknown> | unknown[] | undefined;
    if (!('id' in m)) return { kind: 'notification', method: m.method, params };
    if (!isId(m.id)) return invalid('"id" must be a string or an integer', null);
    const msg: JsonRpcMessage = { kind: 'request', id: m.id, method: m.method, params };
    if (m.method === 'tools/call') {
      const name = params && !Array.isArray(params) ? params.name : undefined;
      if (typeof name !== 'string' || name === '') {
        return {
          code: JSONRPC_ERRORS.INVALID_PARAMS,
          message: 'Invalid params: tools/call needs a string "name"',
          id: m.id,
        };
      }
      msg.tool = name;
    }
    return msg;
  }
  if ('result' in m || 'error' in m) {
    if ('result' in m && 'error' in m)
      return invalid('a response cannot carry both "result" and "error"', id);
    if (!('id' in m) || (m.id !== null && !isId(m.id))) return invalid('a response needs an "id"', null);
    if ('error' in m) {
      const e = m.error as Record<string, unknown> | null;
      if (!e || typeof e !== 'object' || !Number.isInteger(e.code) || typeof e.message !== 'string') {
        return invalid('"error" must have an integer "code" and a string "message"', id);
      }
      return { kind: 'response', id: m.id as JsonRpcId | null, error: e as any };
    }
    return { kind: 'response', id: m.id as JsonRpcId | null, result: m.result };
  }
  return invalid('neither a request, a notification nor a response', id);
}

/**
 * Parse an MCP POST body: one message or (2025-03-26) a batch. `maxBytes` 0 means unlimited.
 * Every message must be valid; the first problem is reported with the offending id.
 */
export function parseJsonRpcBody(body: Buffer | string, maxBytes = 1024 * 1024): ParsedBody {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (maxBytes > 0 && size > maxBytes) {
    return {
      ok: false,
      problem: {
        code: JSONRPC_ERRORS.INVALID_REQUEST,
        message: `Invalid Request: body larger than ${maxBytes} bytes`,
        id: null,
      },
    };
  }
  let text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.includes('\uFFFD') && typeof body !== 'string' && !Buffer.from(text, 'utf8').equals(body)) {
    return {
      ok: false,
      problem: { code: JSONRPC_ERRORS.PARSE_ERROR, message: 'Parse error: invalid UTF-8', id: null },
    };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let value: unknown;
  try {
    value = evaluate(parseJsonAst(text, { mode: 'json' }));
  } catch (err) {
    const message =
      err instanceof DuplicateKey
        ? `Parse error: ${err.message} (ambiguous message)`
        : 'Parse error: invalid JSON';
    return { ok: false, problem: { code: JSONRPC_ERRORS.PARSE_ERROR, message, id: null } };
  }
  const batch = Array.isArray(value);
  const items = batch ? (value as unknown[]) : [value];
  if (batch && items.length === 0) {
    return {
      ok: false,
      problem: { code: JSONRPC_ERRORS.INVALID_REQUEST, message: 'Invalid Request: empty batch', id: null },
    };
  }
  const messages: JsonRpcMessage[] = [];
  for (const item of items) {
    const m = classify(item);
    if ('code' in m) return { ok: false, problem: m };
    messages.push(m);
  }
  return { ok: true, batch, messages };
}

/** A JSON-RPC error response body. */
export function jsonRpcError(id: JsonRpcId | null, code: number, message: string, data?: unknown): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    error: data === undefined ? { code, message } : { code, message, data },
  });
}
