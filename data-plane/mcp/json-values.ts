/**
 * JSON responses, value by value. A server answers an MCP request as `application/json`: one
 * value, or several one after another (newline-delimited in practice — the conformance suite's
 * dual-era reference server answers a streaming tool call and a `subscriptions/listen` this
 * way). The gateway finds each top-level value by its brackets (strings and escapes respected,
 * never by newlines, so a value may span lines), parses, inspects and writes it again as soon
 * as it is complete: nothing is held longer than the value being read, and bytes that do not
 * form values are refused at once — before anything was sent with the status the gateway
 * answers, after it by ending the stream with a JSON-RPC error.
 */
import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { JSONRPC_ERRORS, jsonRpcError } from './jsonrpc';

/** What inspects a message: filtering, observing; returns what is sent on. */
export type Visit = (value: unknown) => unknown;

/** JSON text as clients read it (a leading BOM tolerated), or undefined. */
export function readJson(text: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return undefined;
  }
}

/** The largest single value a listen stream may carry. */
export const MAX_STREAMED_VALUE = 1024 * 1024;

const QUOTE = 0x22;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xfeff;
}

/** Where `c` next occurs in `text` from `from`, or the text's length. */
function indexOrEnd(text: string, c: string, from: number): number {
  const at = text.indexOf(c, from);
  return at < 0 ? text.length : at;
}

/**
 * Finds each top-level value of a stream of text. Each chunk is scanned once: the state between
 * chunks (depth, inside a string, an escape pending) is carried, and the value in progress is
 * kept as its parts, joined once when it completes (never re-scanned or re-copied per chunk).
 */
export class JsonValueSplitter {
  private parts: string[] = [];
  private size = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private inValue = false;

  constructor(private readonly maxValue = MAX_STREAMED_VALUE) {}

  /**
   * The value `chunk` is when it is exactly one whole value and nothing is in progress (the
   * common answer: one JSON document in one read), parsed; else undefined, and `push` it.
   */
  whole(chunk: string): unknown {
    if (this.inValue || chunk.length > this.maxValue) return undefined;
    const end = chunk.trimEnd();
    const last = end.charCodeAt(end.length - 1);
    if (last !== CLOSE_OBJECT && last !== CLOSE_ARRAY) return undefined;
    // (trimStart drops a BOM too.)
    const first = chunk.trimStart().charCodeAt(0);
    if (first !== OPEN_OBJECT && first !== OPEN_ARRAY) return undefined;
    // JSON.parse takes one value and nothing after it: two values, or a cut one, fail here.
    return readJson(chunk);
  }

  /** The values completed by `chunk`; throws when what came is not a sequence of values. */
  push(chunk: string): string[] {
    const out: string[] = [];
    const n = chunk.length;
    let from = this.inValue ? 0 : -1;
    let i = 0;
    let quote = -1;
    let slash = -1;
    while (i < n) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          i++;
          continue;
        }
        // The string's next quote and backslash, found natively and reused until passed.
        if (quote < i) quote = indexOrEnd(chunk, '"', i);
        if (slash < i) slash = indexOrEnd(chunk, '\\', i);
        if (slash < quote) {
          i = slash + 1;
          this.escaped = true;
        } else if (quote < n) {
          i = quote + 1;
          this.inString = false;
        } else i = n;
        continue;
      }
      const c = chunk.charCodeAt(i++);
      if (!this.inValue) {
        if (isSpace(c)) continue;
        if (c !== OPEN_OBJECT && c !== OPEN_ARRAY)
          throw new Error('a JSON-RPC message must be an object or an array');
        this.inValue = true;
        from = i - 1;
      }
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_OBJECT || c === OPEN_ARRAY) this.depth++;
      else if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY) && --this.depth === 0) {
        const last = chunk.slice(from, i);
        if (this.size + last.length > this.maxValue) throw new Error('a JSON-RPC message is too large');
        out.push(this.parts.length ? this.parts.join('') + last : last);
        this.parts = [];
        this.size = 0;
        this.inValue = false;
        from = -1;
      }
    }
    if (this.inValue) {
      const part = chunk.slice(from);
      this.size += part.length;
      if (this.size > this.maxValue) throw new Error('a JSON-RPC message is too large');
      this.parts.push(part);
    }
    return out;
  }

  /** Whether the stream ended between values. */
  get complete(): boolean {
    return !this.inValue && !this.inString;
  }
}

/** The answer whose status the transform may still set (nothing sent yet). */
export interface SettledStatus {
  status: number;
}

const UNREADABLE = 'The upstream sent a response the gateway could not read as JSON-RPC';

/**
 * A JSON response value by value, each inspected and written on a line of its own as soon as
 * it is complete. What cannot be read is refused at once: when nothing was written yet, the
 * answer becomes the JSON-RPC error alone (a success status turned 502; an error status kept —
 * a 401 challenge stays a 401); later, the stream ends with that error. 202 and 204 carry no
 * message (Streamable HTTP answers notifications with 202): whatever text came is dropped.
 */
export function jsonValuesTransform(
  visit: Visit,
  answer: SettledStatus,
  maxValue = MAX_STREAMED_VALUE,
): Transform {
  const splitter = new JsonValueSplitter(maxValue);
  const decoder = new StringDecoder('utf8');
  const silent = answer.status === 202 || answer.status === 204;
  let written = 0;
  let seen = 0;
  let done = silent;
  const refuse = (t: Transform) => {
    done = true;
    if (written === 0 && answer.status < 400) answer.status = 502;
    t.push(jsonRpcError(null, JSONRPC_ERRORS.INTERNAL_ERROR, UNREADABLE) + '\n');
    t.push(null);
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (done) return cb();
      seen += chunk.length;
      try {
        const text = decoder.write(chunk);
        const whole = splitter.whole(text);
        if (whole !== undefined) {
          this.push(JSON.stringify(visit(whole)) + '\n');
          written++;
          return cb();
        }
        for (const value of splitter.push(text)) {
          const parsed = readJson(value);
          if (parsed === undefined) throw new Error('unreadable');
          this.push(JSON.stringify(visit(parsed)) + '\n');
          written++;
        }
      } catch {
        refuse(this);
      }
      cb();
    },
    flush(cb) {
      if (done) return cb();
      try {
        // Bytes the decoder still holds (a cut character) are part of what must be values.
        if (splitter.push(decoder.end()).length) throw new Error('unreadable');
      } catch {
        refuse(this);
        return cb();
      }
      // No body at all is no message; anything else must have been whole values.
      if (seen > 0 && (written === 0 || !splitter.complete)) refuse(this);
      cb();
    },
  });
}

/** A whole text as its JSON-RPC values (null: it is not a sequence of objects or arrays). */
export function jsonValues(text: string, maxValue = MAX_STREAMED_VALUE): unknown[] | null {
  const splitter = new JsonValueSplitter(maxValue);
  try {
    const values = splitter.push(text).map(readJson);
    return splitter.complete && values.length && values.every((v) => v !== undefined) ? values : null;
  } catch {
    return null;
  }
}
