/**
 * Strict JSON-RPC 2.0 reading for MCP traffic. Principle: the gateway and the upstream must
 * never disagree about which method or tool a message invokes, so anything the gateway cannot
 * read unambiguously (duplicate or look-alike keys, wrong types, near-miss method names, invalid
 * Unicode, oversize bodies) is refused with a JSON-RPC error instead of being forwarded. What is
 * forwarded is `canonical`: the judged value written out again from the same parse (numbers
 * keep their exact digits), never the client's bytes.
 */
import { parse as parseJsonAst, type AnyNode } from '@humanwhocodes/momoa';
import { isRequestOnly, methodNameProblem } from './methods';
import { skeleton } from '../../shared/mcp/name-skeleton';
import { LONE_SURROGATE, setOwn } from '../../shared/unicode';

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
  | { ok: true; batch: boolean; messages: JsonRpcMessage[]; canonical: string }
  | { ok: false; problem: JsonRpcProblem };

class Unreadable extends Error {}

function checkString(s: string): string {
  if (LONE_SURROGATE.test(s)) throw new Unreadable('invalid Unicode (lone surrogate)');
  return s;
}

/**
 * Evaluate a JSON AST into a value and its canonical text in one walk, refusing duplicate member
 * names and lone surrogates anywhere. Keys are own properties (`__proto__` is just a key).
 */
function evaluate(node: AnyNode, text: string): { value: unknown; json: string } {
  switch (node.type) {
    case 'Document':
      return evaluate(node.body, text);
    case 'Object': {
      const out: Record<string, unknown> = {};
      const parts: string[] = [];
      for (const m of node.members) {
        const name = checkString(m.name.type === 'String' ? m.name.value : String((m.name as any).name));
        if (Object.prototype.hasOwnProperty.call(out, name)) throw new Unreadable(`duplicate key '${name}'`);
        // A server copying the message naively would take it for the prototype, at any depth.
        if (name === '__proto__') throw new Unreadable(`key '__proto__'`);
        const v = evaluate(m.value, text);
        setOwn(out, name, v.value);
        parts.push(`${JSON.stringify(name)}:${v.json}`);
      }
      return { value: out, json: `{${parts.join(',')}}` };
    }
    case 'Array': {
      const values: unknown[] = [];
      const parts: string[] = [];
      for (const e of node.elements) {
        const v = evaluate(e.value, text);
        values.push(v.value);
        parts.push(v.json);
      }
      return { value: values, json: `[${parts.join(',')}]` };
    }
    case 'String':
      return { value: checkString(node.value), json: JSON.stringify(node.value) };
    case 'Number':
      // The digits as sent: a large id or argument must not lose precision on the way.
      return { value: node.value, json: text.slice(node.loc.start.offset, node.loc.end.offset) };
    case 'Boolean':
      return { value: node.value, json: String(node.value) };
    case 'Null':
      return { value: null, json: 'null' };
    default:
      throw new Unreadable(`unexpected JSON node ${node.type}`);
  }
}

function isId(v: unknown): v is JsonRpcId {
  return typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v));
}

const MESSAGE_KEYS = new Set(['jsonrpc', 'id', 'method', 'params', 'result', 'error']);
const PARAM_KEYS = [
  'name',
  'arguments',
  '_meta',
  'cursor',
  'uri',
  'task',
  'taskId',
  'level',
  'ref',
  'argument',
  'inputResponses',
  'requestState',
  'notifications',
];
/** The protocol's member names by skeleton, computed once. */
const bySkeleton = (keys: Iterable<string>) => new Map([...keys].map((k) => [skeleton(k), k]));
const MESSAGE_SKELETONS = bySkeleton(MESSAGE_KEYS);
const PARAM_SKELETONS = bySkeleton(PARAM_KEYS);

/**
 * Keys a lenient reader could take for one another (`Method` for `method`, `name\u200b` for
 * `name`): two keys of one object with the same skeleton, or a key that is a near miss of a
 * member the protocol defines.
 */
function lookAlikeKey(obj: Record<string, unknown>, protocol: Map<string, string>): string | null {
  const mine = new Set<string>();
  for (const k of Object.keys(obj)) {
    const s = skeleton(k);
    const member = protocol.get(s);
    if ((member !== undefined && member !== k) || mine.has(s)) return k;
    mine.add(s);
  }
  return null;
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
  const has = (k: string) => Object.prototype.hasOwnProperty.call(m, k);
  const id = isId(m.id) ? m.id : null;
  if (m.jsonrpc !== '2.0') return invalid('"jsonrpc" must be "2.0"', id);
  const alike = lookAlikeKey(m, MESSAGE_SKELETONS);
  if (alike !== null) return invalid(`member ${JSON.stringify(alike)} is not a JSON-RPC member`, id);
  for (const k of Object.keys(m))
    if (!MESSAGE_KEYS.has(k)) return invalid(`unknown member ${JSON.stringify(k)}`, id);
  if (has('method')) {
    if (typeof m.method !== 'string' || m.method === '')
      return invalid('"method" must be a non-empty string', id);
    const nameProblem = methodNameProblem(m.method);
    if (nameProblem) return invalid(nameProblem, id);
    if (has('params') && (m.params === null || typeof m.params !== 'object')) {
      return invalid('"params" must be an object or an array', id);
    }
    if (has('result') || has('error')) return invalid('a request cannot carry "result" or "error"', id);
    const params = m.params as Record<string, unknown> | unknown[] | undefined;
    if (params && !Array.isArray(params)) {
      // `__proto__` would become the prototype in a server that copies params naively.
      const k = Object.prototype.hasOwnProperty.call(params, '__proto__')
        ? '__proto__'
        : lookAlikeKey(params, PARAM_SKELETONS);
      if (k !== null) return invalid(`params member ${JSON.stringify(k)} is ambiguous`, id);
    }
    if (!has('id')) {
      if (isRequestOnly(m.method))
        return invalid(`'${m.method}' is a request: it needs an "id" (not a notification)`);
      return { kind: 'notification', method: m.method, params };
    }
    if (!isId(m.id)) return invalid('"id" must be a string or a (safe) integer', null);
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
  if (has('result') || has('error')) {
    if (has('result') && has('error'))
      return invalid('a response cannot carry both "result" and "error"', id);
    if (has('params')) return invalid('a response cannot carry "params"', id);
    if (!has('id') || (m.id !== null && !isId(m.id))) return invalid('a response needs an "id"', null);
    if (has('error')) {
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

/** Outside strings: string tokens (a key when a colon follows), braces and numbers. */
const TOKENS = /"(?:[^"\\]|\\.)*"(\s*:)?|[{}]|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
const INTEGER_LIKE = /^(?:0|[1-9]\d*)$/;
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * The common case at the speed of JSON.parse: one native scan proves that JSON.parse and
 * JSON.stringify give exactly what `evaluate` would (no duplicate, `__proto__` or integer-like
 * key, no surrogate escape, every number written as JavaScript writes it back); anything else
 * (or invalid JSON) returns null and takes the AST walk, which also names the problem.
 */
function fastStrict(text: string): { value: unknown; json: string } | null {
  if (SURROGATE_ESCAPE.test(text) || LONE_SURROGATE.test(text)) return null;
  const keys: Set<string>[] = [];
  TOKENS.lastIndex = 0;
  for (let m = TOKENS.exec(text); m !== null; m = TOKENS.exec(text)) {
    const t = m[0];
    if (t === '{') keys.push(new Set());
    else if (t === '}') keys.pop();
    else if (m[1] !== undefined) {
      const raw = t.slice(0, t.length - m[1].length);
      const key = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
      const own = keys[keys.length - 1];
      if (!own || own.has(key) || key === '__proto__' || INTEGER_LIKE.test(key)) return null;
      own.add(key);
    } else if (t[0] !== '"' && String(Number(t)) !== t) return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return { value, json: JSON.stringify(value) };
}

/** Parse JSON text strictly: value and canonical text, or why it cannot be read. */
export function parseStrictJson(
  body: Buffer | string,
  opts: { fastPath?: boolean } = {},
): { value: unknown; json: string } | JsonRpcProblem {
  let text = typeof body === 'string' ? body : body.toString('utf8');
  if (typeof body !== 'string' && text.includes('\uFFFD') && !Buffer.from(text, 'utf8').equals(body)) {
    return { code: JSONRPC_ERRORS.PARSE_ERROR, message: 'Parse error: invalid UTF-8', id: null };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let fast: { value: unknown; json: string } | null = null;
  try {
    // Whatever the fast path cannot handle (an invalid escape in a key, nesting too deep to
    // stringify) is the AST walk's to judge and to name.
    if (opts.fastPath !== false) fast = fastStrict(text);
  } catch {
    fast = null;
  }
  if (fast) return fast;
  try {
    return evaluate(parseJsonAst(text, { mode: 'json' }), text);
  } catch (err) {
    const message =
      err instanceof Unreadable
        ? `Parse error: ${err.message} (ambiguous message)`
        : 'Parse error: invalid JSON';
    return { code: JSONRPC_ERRORS.PARSE_ERROR, message, id: null };
  }
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
  if (size === 0)
    return {
      ok: false,
      problem: { code: JSONRPC_ERRORS.PARSE_ERROR, message: 'Parse error: empty body', id: null },
    };
  const parsed = parseStrictJson(body);
  if ('code' in parsed) return { ok: false, problem: parsed };
  const { value, json } = parsed;
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
  return { ok: true, batch, messages, canonical: json };
}

/** A JSON-RPC error response body. */
export function jsonRpcError(id: JsonRpcId | null, code: number, message: string, data?: unknown): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    error: data === undefined ? { code, message } : { code, message, data },
  });
}
