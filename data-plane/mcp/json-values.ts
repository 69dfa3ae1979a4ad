/**
 * A JSON response that carries several messages: servers stream JSON-RPC messages as
 * `application/json`, one value after another (newline-delimited in practice — the conformance
 * suite's dual-era reference server answers a streaming tool call and a `subscriptions/listen`
 * this way). The gateway reads such a body value by value: each top-level value is found by
 * its brackets (strings and escapes respected, never by newlines, so a value may span lines),
 * parsed, inspected and written again — whole bodies at once, long-lived ones as each value
 * completes. Bytes that do not form complete values are not passed on.
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

/** The largest single value a stream may carry. */
const MAX_VALUE = 1024 * 1024;

export class JsonValueSplitter {
  private text = '';
  private scanned = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;

  /** The values completed by `chunk`; throws when what came is not a sequence of values. */
  push(chunk: string): string[] {
    this.text += chunk;
    const out: string[] = [];
    for (let i = this.scanned; i < this.text.length; i++) {
      const c = this.text[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (this.start < 0) {
        if (c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\ufeff') continue;
        if (c !== '{' && c !== '[') throw new Error('a streamed JSON message must be an object or an array');
        this.start = i;
      }
      if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') this.depth++;
      else if (c === '}' || c === ']') {
        this.depth--;
        if (this.depth === 0) {
          out.push(this.text.slice(this.start, i + 1));
          this.start = -1;
        }
      }
    }
    // Keep only the value in progress.
    const keep = this.start < 0 ? this.text.length : this.start;
    this.text = this.text.slice(keep);
    this.scanned = this.text.length;
    if (this.start >= 0) this.start = 0;
    if (this.text.length > MAX_VALUE) throw new Error('a streamed JSON message is too large');
    return out;
  }

  /** Whether the stream ended between values. */
  get complete(): boolean {
    return this.start < 0 && !this.inString;
  }
}

/** A whole body as its values (null: it is not a sequence of JSON values). */
export function jsonValues(text: string): unknown[] | null {
  const splitter = new JsonValueSplitter();
  try {
    const values = splitter.push(text).map(readJson);
    return splitter.complete && values.length && values.every((v) => v !== undefined) ? values : null;
  } catch {
    return null;
  }
}

const UNREADABLE = 'The upstream sent a message the gateway could not read as JSON-RPC';

/**
 * A long-lived JSON response, value by value: each inspected and written on a line of its own
 * as soon as it is complete. What cannot be read ends the stream with a JSON-RPC error.
 */
export function jsonValuesTransform(visit: Visit): Transform {
  const splitter = new JsonValueSplitter();
  const decoder = new StringDecoder('utf8');
  const refuse = (t: Transform) => {
    t.push(jsonRpcError(null, JSONRPC_ERRORS.INTERNAL_ERROR, UNREADABLE) + '\n');
    t.push(null);
  };
  let done = false;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (done) return cb();
      try {
        for (const text of splitter.push(decoder.write(chunk))) {
          const value = readJson(text);
          if (value === undefined) throw new Error('unreadable');
          this.push(JSON.stringify(visit(value)) + '\n');
        }
      } catch {
        done = true;
        refuse(this);
      }
      cb();
    },
    flush(cb) {
      if (!done && !splitter.complete) refuse(this);
      cb();
    },
  });
}
