/**
 * What each Datakit node type does with its inputs. `call` is the only asynchronous one; the
 * rest run inline. A thrown Error fails the node (500); `exit` answers through ctx.exit().
 */
import type { JqProgram } from '../../shared/jq';
import { TOLLGATE_VERSION } from '../../shared/version';
import type { NodeConfig } from './graph';
import { DATAKIT_READABLE_PROPERTIES, DATAKIT_WRITE_ONLY_PROPERTIES } from './schema';
import type { RequestContextApi, ResponseState } from '../../data-plane/runtime/plugin-api';
import type { RouteCaller } from '../../data-plane/runtime/route-caller';
import { decodeBody, encodeBody, toHeaderMap, toQuery } from './io';

export interface NodeInput {
  /** The node-wise input (`input: X`), if connected. */
  self: unknown;
  /** Field inputs (`inputs: {f: X}`). */
  fields: Record<string, unknown>;
  connected: boolean;
}

export interface NodeEnv {
  ctx: RequestContextApi;
  res: ResponseState | null;
  /** kong.ctx.plugin for this plugin instance and request. */
  pluginStore: Record<string, unknown>;
  signal: AbortSignal;
  /** The gateway's own requests (the data plane's pools and interceptors). */
  calls: RouteCaller;
}

/** The node's input as one value: the node-wise input, else the object of field inputs. */
export function wholeInput(input: NodeInput): unknown {
  if (input.self !== undefined) return input.self;
  return Object.keys(input.fields).length ? input.fields : null;
}

function field(input: NodeInput, name: string): unknown {
  if (name in input.fields) return input.fields[name];
  const self = input.self;
  if (self && typeof self === 'object' && !Array.isArray(self))
    return (self as Record<string, unknown>)[name];
  return undefined;
}

export function runJq(program: JqProgram, input: NodeInput): unknown {
  const out = program.run(wholeInput(input));
  return out.length === 0 ? null : out.length === 1 ? out[0] : out;
}

export function runBranch(input: NodeInput): boolean {
  const v = wholeInput(input);
  if (typeof v !== 'boolean')
    throw new Error(`branch input must be a boolean, got ${v === null ? 'null' : typeof v}`);
  return v;
}

export function runExit(node: NodeConfig, input: NodeInput, env: NodeEnv): never {
  const headers = toHeaderMap(field(input, 'headers') ?? null, 'exit headers');
  const body = encodeBody(field(input, 'body') ?? null, headers);
  return env.ctx.exit(node.status ?? 200, body.length ? body : undefined, headers);
}

/** The largest answer a call node reads (Kong's datakit reads it whole). */
const MAX_CALL_RESPONSE = 10 * 1024 * 1024;

export async function runCall(node: NodeConfig, input: NodeInput, env: NodeEnv): Promise<unknown> {
  const target = field(input, 'url') ?? node.url;
  if (typeof target !== 'string' || !target) throw new Error('call node has no url');
  const url = new URL(target);
  for (const [k, v] of toQuery(field(input, 'query') ?? null, 'call query')) url.searchParams.append(k, v);
  const headers = toHeaderMap(field(input, 'headers') ?? null, 'call headers');
  let body: Buffer | string | undefined;
  const rawBody = field(input, 'body');
  if (rawBody !== undefined && rawBody !== null) {
    const form = String(headers['content-type'] ?? '').includes('application/x-www-form-urlencoded');
    body =
      form && typeof rawBody === 'object'
        ? toQuery(rawBody, 'call body').toString()
        : encodeBody(rawBody, headers);
  }
  const timeout = node.timeout ?? 60_000;
  const res = await env.calls.callUrl({
    url,
    method: node.method ?? 'GET',
    headers: node.ssl_server_name ? { ...headers, host: node.ssl_server_name } : headers,
    body,
    timeoutMs: timeout,
    tlsVerify: node.ssl_verify !== false,
    signal: env.signal,
    maxResponseBytes: MAX_CALL_RESPONSE,
  });
  const raw = res.body;
  if (res.status < 200 || res.status > 299) throw new Error(`non-2XX response code: ${res.status}`);
  const contentType = res.headers['content-type'];
  const decoded = decodeBody(raw, contentType);
  if (typeof decoded === 'string' && String(contentType ?? '').includes('json') && raw.length)
    throw new Error('invalid JSON in response body');
  return { status: res.status, headers: res.headers, body: decoded, raw_body: raw.toString('utf8') };
}

type Getter = (env: NodeEnv) => unknown;

const GETTERS: Record<string, Getter> = {
  'kong.client.consumer': ({ ctx }) => ctx.consumer,
  'kong.client.consumer_groups': ({ ctx }) => ctx.consumerGroups,
  'kong.client.credential': ({ ctx }) => ctx.credential,
  'kong.client.ip': ({ ctx }) => ctx.req.socket.remoteAddress ?? null,
  'kong.client.port': ({ ctx }) => ctx.req.socket.remotePort ?? null,
  'kong.client.protocol': ({ ctx }) => ctx.clientProtocol,
  'kong.request.port': ({ ctx }) => ctx.req.socket.localPort ?? null,
  'kong.request.forwarded_host': ({ ctx }) =>
    ctx.req.headers['x-forwarded-host'] ?? ctx.req.headers.host ?? null,
  'kong.request.forwarded_scheme': ({ ctx }) => ctx.req.headers['x-forwarded-proto'] ?? ctx.clientProtocol,
  'kong.response.source': ({ res }) => (res ? (res.source === 'upstream' ? 'service' : 'exit') : null),
  'kong.router.route': ({ ctx }) => ctx.route,
  'kong.router.service': ({ ctx }) => ctx.service,
  'kong.route_id': ({ ctx }) => ctx.route.id,
  'kong.route_name': ({ ctx }) => ctx.route.name ?? null,
  'kong.service_id': ({ ctx }) => ctx.service.id,
  'kong.service_name': ({ ctx }) => ctx.service.name ?? null,
  'kong.service.response.status': ({ res }) => res?.status ?? null,
  'kong.version': () => TOLLGATE_VERSION,
};

const SETTERS = new Set(DATAKIT_WRITE_ONLY_PROPERTIES);
// The control plane accepts exactly the shared list; every name must have a getter here.
for (const name of DATAKIT_READABLE_PROPERTIES)
  if (!GETTERS[name]) throw new Error(`datakit: no getter for ${name}`);

export function runProperty(node: NodeConfig, input: NodeInput, env: NodeEnv): unknown {
  const name: string = node.property;
  const store = name.startsWith('kong.ctx.shared.')
    ? env.ctx.shared
    : name.startsWith('kong.ctx.plugin.')
      ? env.pluginStore
      : null;
  const key = store ? name.slice(name.indexOf('.', 'kong.ctx.'.length) + 1) : '';
  if (input.connected) {
    const value = wholeInput(input);
    if (store) store[key] = value;
    else if (name === 'kong.service.target') {
      if (typeof value !== 'string' || !/^[^/:]+(:\d+)?$/.test(value))
        throw new Error(`kong.service.target must be "host:port", got ${JSON.stringify(value)}`);
      const protocol = env.ctx.service.protocol === 'https' ? 'https' : 'http';
      env.ctx.upstreamOverride = {
        url: new URL(`${protocol}://${value}${env.ctx.path}`),
        tlsVerify: env.ctx.service.tls_verify !== false,
      };
    } else throw new Error(`property ${name} cannot be set`);
    return value;
  }
  if (SETTERS.has(name)) throw new Error(`property ${name} can only be set`);
  const value = store ? (store[key] ?? null) : GETTERS[name](env);
  if (node.content_type === 'text/plain' && value !== null && typeof value !== 'string')
    return JSON.stringify(value);
  if (node.content_type === 'application/json' && typeof value === 'string') {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}
