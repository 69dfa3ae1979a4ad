/**
 * Kong-style access and error logs, written off the request path: lines are queued and handed
 * to an asynchronous file stream (libuv's thread pool) once per turn of the event loop, so a
 * slow terminal or disk never stalls a request. `/dev/stdout` and `/dev/stderr` are the defaults
 * (Kong's docker defaults); `off` writes nothing. A full queue drops lines and counts them
 * rather than grow without bound.
 */
import { createWriteStream, type WriteStream } from 'node:fs';

const MAX_QUEUED = 10_000;

export class LogFile {
  private queue: string[] = [];
  private scheduled = false;
  private stream: WriteStream | null = null;
  private fallback: NodeJS.WritableStream | null = null;
  private failed = false;
  dropped = 0;

  constructor(readonly path: string) {}

  /** The variable's value: a path, or `off`. */
  static open(value: string | undefined, fallback: string): LogFile | null {
    const path = value === undefined || value === '' ? fallback : value;
    return path === 'off' ? null : new LogFile(path);
  }

  write(line: string): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.dropped++;
      return;
    }
    this.queue.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    if (!this.queue.length) return;
    const text = this.queue.join('\n') + '\n';
    this.queue = [];
    if (this.fallback) return void this.fallback.write(text);
    if (!this.stream) {
      this.stream = createWriteStream(this.path, { flags: 'a', mode: 0o600 });
      // A log that cannot be written must not take the process down. /dev/stdout that cannot be
      // opened (a socket, under some supervisors) is written through the process's own stream.
      this.stream.on('error', () => {
        this.stream = null;
        if (this.path === '/dev/stdout') this.fallback = process.stdout;
        else if (this.path === '/dev/stderr') this.fallback = process.stderr;
        else this.failed = true;
      });
    }
    if (!this.failed) this.stream.write(text);
  }

  close(): Promise<void> {
    this.flush();
    const s = this.stream;
    this.stream = null;
    return new Promise((resolve) => (s ? s.end(() => resolve()) : resolve()));
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** nginx's `$time_local` (in UTC): `07/Dec/2026:06:10:00 +0000`. */
export function timeLocal(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())} +0000`;
}

/** nginx's error-log time: `2026/12/07 06:10:00`. */
export function errorTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())}`;
}

/** Characters nginx escapes in a log field: quotes, backslashes, anything not printable ASCII. */
const ESCAPED = /[^\x20-\x21\x23-\x5b\x5d-\x7e]/gu;

/** A value inside a quoted log field, escaped as nginx does (`\xXX` per UTF-8 byte). */
export function quoted(v: string | undefined | null): string {
  if (v === undefined || v === null || v === '') return '-';
  return v.replace(ESCAPED, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `\\x${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

export interface AccessEntry {
  remoteAddr: string;
  timeMs: number;
  method: string;
  /** The request target as received. */
  target: string;
  httpVersion: string;
  status: number;
  bodyBytesSent: number;
  referer?: string;
  userAgent?: string;
  requestId: string;
}

/**
 * Kong's access log (nginx `combined` + `kong_request_id`, Kong ≥ 3.5):
 * `127.0.0.1 - - [07/Dec/2026:06:10:00 +0000] "POST /mcp HTTP/1.1" 200 512 "-" "agent/1.0" kong_request_id: "…"`
 */
export function accessLine(e: AccessEntry): string {
  return `${e.remoteAddr} - - [${timeLocal(e.timeMs)}] "${quoted(`${e.method} ${e.target} HTTP/${e.httpVersion}`)}" ${e.status} ${e.bodyBytesSent} "${quoted(e.referer)}" "${quoted(e.userAgent)}" kong_request_id: "${quoted(e.requestId)}"`;
}

export interface ErrorEntry {
  timeMs: number;
  level: 'error' | 'warn' | 'notice' | 'info';
  message: string;
  client?: string;
  request?: string;
  upstream?: string | null;
  host?: string;
  requestId?: string;
}

/**
 * Kong's error log (nginx's): `2026/12/07 06:10:00 [error] 1234#0: *0 connect() failed (111:
 * Connection refused) while connecting to upstream, client: 127.0.0.1, server: kong, request:
 * "GET /x HTTP/1.1", upstream: "http://127.0.0.1:9/x", host: "localhost:8000", request_id: "…"`
 */
export function errorLine(e: ErrorEntry): string {
  const parts = [`${errorTime(e.timeMs)} [${e.level}] ${process.pid}#0: *0 ${e.message}`];
  if (e.client) parts.push(`client: ${e.client}`, 'server: kong');
  if (e.request) parts.push(`request: "${quoted(e.request)}"`);
  if (e.upstream) parts.push(`upstream: "${quoted(e.upstream)}"`);
  if (e.host) parts.push(`host: "${quoted(e.host)}"`);
  if (e.requestId) parts.push(`request_id: "${quoted(e.requestId)}"`);
  return parts.join(', ');
}
