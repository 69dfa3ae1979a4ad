/**
 * Where an exchange's response goes: the client's socket, or — for a request the gateway makes
 * itself (route-call.ts) — a buffer the caller reads when the exchange is over (fastify's
 * `inject()` idea: the same lifecycle, another sink).
 */
import type { ServerResponse } from 'node:http';
import type { HeaderMap, ResponseState } from '../runtime/plugin-api';
import { collect, pump } from './body-streams';
import { consume } from './consume';
import { MAX_BUFFERED_BODY } from './body';
import { sendError } from '../errors';
import { kongAnswer } from './plugin-phases';

type Body = NodeJS.ReadableStream & { destroy(err?: Error): void };

/** A streamed response's status and headers, read when the head goes out. */
export type ResponseHead = Pick<ResponseState, 'status' | 'headers'>;

/** The head a plugin set could not be sent (a bad header): the gateway answers instead. */
export class HeadRefused extends Error {}

export interface ResponseSink {
  /** The response has begun: the gateway can no longer answer instead. */
  readonly headersSent: boolean;
  /** A whole response. Throws when the headers cannot be sent (a plugin's bad header). */
  send(status: number, headers: HeaderMap, body: Buffer): void;
  /**
   * The head of a streamed response. `flush`: out at once (throws as `send` does); else it goes
   * out with the body's first byte, as `head` is then (a stream filter may still refuse).
   */
  start(head: ResponseHead, flush: boolean): void;
  /**
   * The streamed body, with backpressure; resolves with the bytes taken at its end. Rejects with
   * HeadRefused when the head, sent late, could not be.
   */
  stream(source: Body): Promise<number>;
  /** Kong's error body when the headers a plugin set could not be sent. */
  sendKongError(status: number, requestId: string): void;
  /** The response failed after it began. */
  destroy(err: Error): void;
}

export class ClientSink implements ResponseSink {
  private head: ResponseHead | null = null;

  constructor(readonly res: ServerResponse) {}

  get headersSent(): boolean {
    return this.res.headersSent;
  }
  send(status: number, headers: HeaderMap, body: Buffer): void {
    this.res.writeHead(status, headers);
    this.res.end(body);
  }
  start(head: ResponseHead, flush: boolean): void {
    if (!flush) {
      this.head = head;
      return;
    }
    this.res.writeHead(head.status, head.headers);
    this.res.flushHeaders();
  }
  async stream(source: Body): Promise<number> {
    const sent = await pump(source, this.res, this.head ? this.writeHead : undefined);
    this.writeHead();
    this.res.end();
    return sent;
  }
  /** The deferred head, once. */
  private readonly writeHead = (): void => {
    const head = this.head;
    if (!head) return;
    this.head = null;
    try {
      this.res.writeHead(head.status, head.headers);
    } catch (err) {
      throw new HeadRefused((err as Error).message);
    }
  };
  sendKongError(status: number, requestId: string): void {
    if (!this.res.headersSent) sendError(this.res, status, requestId);
    else this.res.destroy();
  }
  destroy(err: Error): void {
    this.res.destroy(err);
  }
}

/** What a caller of a buffered exchange watches as it happens (route-caller.ts). */
export interface BodyWatch {
  onHead?: (head: ResponseHead) => void;
  onBodyChunk?: (chunk: Buffer, head: ResponseHead | null) => void;
  discardBody?: boolean;
}

/** What a buffered exchange ended with. */
export interface BufferedResponse {
  status: number;
  headers: HeaderMap;
  body: Buffer;
}

/**
 * Holds the response whole, within `limit` bytes (a longer one fails the exchange with
 * ResponseTooLarge, answered 502 as a client's would be). Nothing is "sent" until the exchange
 * is over, so the gateway can always answer instead.
 */
export class BufferedSink implements ResponseSink {
  readonly headersSent = false;
  private status = 0;
  private headers: HeaderMap = {};
  private body: Buffer | null = null;

  constructor(
    private readonly limit = MAX_BUFFERED_BODY,
    private readonly watch: BodyWatch = {},
  ) {}

  send(status: number, headers: HeaderMap, body: Buffer): void {
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.watch.onHead?.({ status, headers });
    this.watch.onBodyChunk?.(body, { status, headers });
  }
  private head: ResponseHead | null = null;

  start(head: ResponseHead): void {
    this.head = head;
    this.watch.onHead?.(head);
  }
  async stream(source: Body): Promise<number> {
    const { onBodyChunk, discardBody } = this.watch;
    const head = this.head;
    const observe = onBodyChunk && ((chunk: Buffer) => onBodyChunk(chunk, head));
    if (discardBody) {
      // Observed only, never kept: a stream that may never end holds nothing.
      let size = 0;
      await consume(source, (chunk) => {
        size += chunk.length;
        observe?.(chunk);
      });
      if (head) {
        this.status = head.status;
        this.headers = head.headers;
      }
      this.body = Buffer.alloc(0);
      return size;
    }
    const body = await collect(source, this.limit, observe);
    // The head as the filters left it.
    if (this.head) {
      this.status = this.head.status;
      this.headers = this.head.headers;
    }
    this.body = body;
    return body.length;
  }
  sendKongError(status: number, requestId: string): void {
    const answer = kongAnswer(requestId, status);
    this.send(status, answer.headers, Buffer.from(answer.body as string));
  }
  destroy(): void {
    this.body = null;
  }
  /** The response, or null when the exchange ended without one (the call was abandoned). */
  result(): BufferedResponse | null {
    return this.body === null ? null : { status: this.status, headers: this.headers, body: this.body };
  }
}
