import type { IncomingMessage } from 'node:http';
import type { Consumer, ConsumerGroup, Entity, Route, Service } from './entity';
import { kongErrorBody, messageFor } from '../errors';
import { SlotValues } from './slots';
import {
  ExitSignal,
  StreamedExit,
  type ClientLeft,
  type AnalyticsFields,
  type HeaderMap,
  type RequestContextApi,
} from './plugin-api';

/** Per-request state shared by the plugins of one request. */
const NEVER_LEFT: ClientLeft = { aborted: false, once: () => undefined, off: () => undefined };

export class RequestContext implements RequestContextApi {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: HeaderMap;
  body: Buffer | null = null;
  consumer: Consumer | null = null;
  credential: Entity | null = null;
  consumerGroups: ConsumerGroup[] = [];
  authRequired = false;
  authenticated = false;
  anonymous = false;
  upstreamOverride: RequestContextApi['upstreamOverride'] = null;
  readonly shared: Record<string, unknown> = {};
  private slotValues: SlotValues | undefined;
  /** Made on first use: a request no plugin hands anything to allocates nothing for it. */
  get slots(): SlotValues {
    return (this.slotValues ??= new SlotValues());
  }
  readonly responseHeaders: HeaderMap = {};
  readonly analytics: AnalyticsFields = { fields: {}, entries: null };
  /** Set by the exchange this context belongs to; never fires without one. */
  clientLeft: ClientLeft = NEVER_LEFT;

  constructor(
    readonly requestId: string,
    readonly req: IncomingMessage,
    readonly route: Route,
    readonly service: Service,
    readonly clientProtocol: 'http' | 'https',
    readonly uriCaptures: { unnamed: string[]; named: Record<string, string> },
    upstream: { method: string; path: string; query: string; headers: HeaderMap },
  ) {
    this.method = upstream.method;
    this.path = upstream.path;
    this.query = new URLSearchParams(upstream.query);
    this.headers = upstream.headers;
  }

  private parsed: { from: Buffer; value: unknown } | null = null;

  jsonBody(): unknown {
    const body = this.body;
    if (!body || body.length === 0) return undefined;
    if (this.parsed?.from !== body) {
      let value: unknown;
      try {
        value = JSON.parse(body.toString('utf8'));
      } catch {
        value = undefined;
      }
      this.parsed = { from: body, value };
    }
    return this.parsed.value;
  }

  exit(status: number, body?: unknown, headers: HeaderMap = {}): never {
    let payload: Buffer | string | undefined;
    const out: HeaderMap = {};
    for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
    if (body === undefined || body === null) payload = undefined;
    else if (typeof body === 'string' || Buffer.isBuffer(body)) payload = body;
    else {
      payload = JSON.stringify(body);
      out['content-type'] ??= 'application/json; charset=utf-8';
    }
    throw new ExitSignal(status, payload, out);
  }

  exitStream(
    status: number,
    headers: HeaderMap,
    body: NodeJS.ReadableStream & { destroy(err?: Error): void },
  ): never {
    const out: HeaderMap = {};
    for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
    throw new StreamedExit(status, out, body);
  }

  error(status: number, message = messageFor(status), headers: HeaderMap = {}): never {
    return this.exit(status, kongErrorBody(this.requestId, message), headers);
  }
}
