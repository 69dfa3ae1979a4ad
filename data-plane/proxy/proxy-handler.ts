/**
 * The request path of a data plane: route → access-phase plugins → upstream (streaming both
 * ways) → response-phase plugins → log phase, off the response path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { ConfigHolder } from '../runtime/config-holder';
import { ExitSignal, type HeaderMap, type PluginInstance, type ResponseState } from '../runtime/plugin-api';
import { RequestContext } from '../runtime/request-context';
import type { RouteChain } from '../runtime/plugin-chain';
import { joinUpstreamPath } from '../router/path';
import type { ProxyMetrics } from '../status/metrics';
import { BodyTooLarge, MAX_BUFFERED_BODY, readBody } from './body';
import { endToEnd, isEventStream } from './headers';
import { DEFAULT_MESSAGES, sendError } from './kong-error';
import { isRetryable, isTimeout } from './upstream-errors';
import { buildRecords } from '../analytics/record-builder';
import type { AnalyticsRecord } from '../../shared/analytics/record';
import type { UpstreamPools } from './upstream-pools';
import { dropUnderscoredHeaders, refuseRequest, steerablePath } from './request-guard';
import { IDENTITY_HEADERS } from '../runtime/identity-headers';
import { rebindingGuard } from './dns-rebinding';
import { askForIdentity, decodeResponse, encodedRequestBody, UnsupportedCoding } from './content-coding';

export interface ProxyContext {
  holder: ConfigHolder;
  pools: UpstreamPools;
  metrics: ProxyMetrics;
  log?: (line: string) => void;
  nodeId?: string;
  /** Where analytics records go (after the response, never on its path). */
  analytics?: (records: AnalyticsRecord[]) => void;
  /** Host names a loopback listener accepts besides loopback ones (TOLLGATE_PROXY_ALLOWED_HOSTS). */
  allowedHosts?: string[];
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 };
const EMPTY_CHAIN: RouteChain = { slots: [], needsRequestBody: false, hasAuth: false };

/** The Host header as name and port; null when one is sent that is not a host (refused). */
function hostOf(req: IncomingMessage, localPort: number): { host: string; port: number } | null {
  const raw = (req.headers.host ?? '').toLowerCase();
  if (raw === '') return { host: '', port: localPort }; // HTTP/1.0 without Host
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9._~%!$&'()*+,;=-]+)(?::(\d{1,5}))?$/.exec(raw);
  if (!m) return null;
  return { host: m[1], port: m[2] ? Number(m[2]) : localPort };
}

/** The client's end-to-end headers plus the gateway's forwarding headers. */
function forwardHeaders(
  req: IncomingMessage,
  protocol: 'http' | 'https',
  host: string,
  port: number,
  rawPath: string,
  match: { matchedPath: string | null },
  stripPath: boolean | undefined,
  authRoute: boolean,
): HeaderMap {
  const headers = endToEnd(req.headers) as HeaderMap;
  dropUnderscoredHeaders(headers);
  if (authRoute) for (const h of IDENTITY_HEADERS) delete headers[h];
  const clientIp = req.socket.remoteAddress ?? '';
  const xff = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = xff ? `${xff}, ${clientIp}` : clientIp;
  headers['x-forwarded-proto'] = protocol;
  headers['x-forwarded-host'] = host;
  headers['x-forwarded-port'] = String(port);
  headers['x-forwarded-path'] = rawPath;
  headers['x-real-ip'] = clientIp;
  if (match.matchedPath && stripPath && !match.matchedPath.startsWith('~'))
    headers['x-forwarded-prefix'] = match.matchedPath;
  return headers;
}

function splitUrl(url: string): [string, string] {
  const i = url.indexOf('?');
  return i === -1 ? [url, ''] : [url.slice(0, i), url.slice(i + 1)];
}

function byPriority(a: PluginInstance, b: PluginInstance) {
  return b.priority - a.priority;
}

function waitDrain(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export function createProxyHandler(
  ctx: ProxyContext,
  protocol: 'http' | 'https',
  localPort: number,
  listenHost = '0.0.0.0',
) {
  const rebinding = rebindingGuard(listenHost, ctx.allowedHosts ?? []);
  return async function handle(req: IncomingMessage, res: ServerResponse) {
    const started = performance.now();
    const requestId = randomUUID();
    const config = ctx.holder.current;
    const refused = refuseRequest(req);
    if (refused) return sendError(res, refused.status, requestId, refused.message);
    const hostPort = hostOf(req, localPort);
    if (!hostPort || (rebinding && hostPort.host === ''))
      return sendError(res, 400, requestId, 'Bad request: invalid or missing Host header');
    const { host, port } = hostPort;
    const [rawPath, rawQuery] = splitUrl(req.url ?? '/');
    if (!config) return sendError(res, 503, requestId, 'no configuration available');
    const steering = steerablePath(rawPath);
    if (steering) return sendError(res, 400, requestId, `Bad request: the path has ${steering}`);
    const match = config.router.match({
      method: req.method ?? 'GET',
      host,
      port,
      path: rawPath,
      protocol,
      headers: req.headers,
    });
    if (!match) {
      ctx.metrics.request(null, null, 404, performance.now() - started);
      return sendError(res, 404, requestId, 'no Route matched with those values');
    }
    const route = match.route;
    if (rebinding && !route.hosts?.length) {
      const why = rebinding.check(host, req.headers.origin);
      if (why) {
        ctx.metrics.request(null, route, 403, performance.now() - started);
        return sendError(res, 403, requestId, `Forbidden: ${why} (DNS rebinding protection)`);
      }
    }
    const service = route.service ? config.services.get(route.service.id) : undefined;
    if (!service || service.enabled === false) {
      ctx.metrics.request(service ?? null, route, 503, performance.now() - started);
      return sendError(res, 503, requestId, 'no Service found with those values');
    }

    const rest =
      route.strip_path && match.matchedPath
        ? match.normalizedPath.slice(match.matchedLength)
        : match.normalizedPath;
    const chain = config.plugins.empty ? EMPTY_CHAIN : config.plugins.forRoute(route, service);
    const clientHeaders = () =>
      forwardHeaders(req, protocol, host, port, rawPath, match, route.strip_path, chain.hasAuth);
    const headers = clientHeaders();
    const upstreamPath = joinUpstreamPath(service.path ?? null, rest, route.path_handling ?? 'v0');
    const rc = new RequestContext(requestId, req, route, service, protocol, match.captures, {
      method: req.method ?? 'GET',
      path: upstreamPath,
      query: rawQuery,
      headers,
    });

    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.on('close', onClose);
    rc.authRequired = chain.hasAuth;
    const executed: PluginInstance[] = [];
    const startedAt = Date.now();
    let upstreamStarted = 0;
    let upstreamMs: number | undefined;
    let responseStarted = 0;
    const finish = (state: ResponseState, responseBytes: number) => {
      const totalMs = performance.now() - started;
      ctx.metrics.request(service, route, state.status, totalMs, upstreamMs);
      if (!executed.length && !ctx.analytics) return;
      // Log phase: after the response, never on its path.
      setImmediate(() => {
        for (const inst of executed) {
          try {
            inst.log?.(rc, state);
          } catch (err) {
            ctx.log?.(`plugin ${inst.name} log phase: ${(err as Error).message}`);
          }
        }
        if (!ctx.analytics) return;
        // Gateway time: before the upstream was asked, plus between its headers and ours.
        const gatewayMs =
          upstreamMs === undefined
            ? totalMs
            : upstreamStarted - started + Math.max(0, responseStarted - (upstreamStarted + upstreamMs));
        try {
          ctx.analytics(
            buildRecords(ctx.nodeId ?? '', rc, state, {
              startedAt,
              totalMs,
              upstreamMs: upstreamMs ?? null,
              gatewayMs,
              requestBytes:
                rc.body?.length ??
                Math.min(Number(req.headers['content-length']) || 0, Number.MAX_SAFE_INTEGER),
              responseBytes,
            }),
          );
        } catch (err) {
          ctx.log?.(`analytics: ${(err as Error).message}`);
        }
      });
    };
    const responsePlugins = () => [...executed].sort(byPriority);

    /** A gateway-generated response: response-phase plugins still see it (CORS headers on a 401). */
    const answer = (status: number, body: Buffer | string | undefined, extra: HeaderMap) => {
      const state: ResponseState = {
        status,
        headers: { ...extra, 'x-tollgate-request-id': requestId },
        source: 'gateway',
      };
      let payload = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body);
      try {
        for (const p of responsePlugins()) p.headerFilter?.(rc, state);
        for (const p of responsePlugins())
          if (p.wantsResponseBody?.(rc, state)) payload = p.transformBody!(rc, state, payload);
      } catch (err) {
        ctx.log?.(`plugin error in response phase: ${(err as Error).message}`);
      }
      state.headers['content-length'] = String(payload.length);
      if (!res.headersSent) {
        try {
          res.writeHead(state.status, state.headers);
          res.end(payload);
        } catch (err) {
          // A header Node refuses (bad characters from a plugin config): plain Kong error.
          ctx.log?.(`cannot send response headers: ${(err as Error).message}`);
          if (!res.headersSent) sendError(res, 500, requestId);
          else res.destroy();
        }
      }
      finish(state, payload.length);
    };
    const fail = (status: number, message = DEFAULT_MESSAGES[status]) =>
      answer(status, JSON.stringify({ message, request_id: requestId }), {
        'content-type': 'application/json; charset=utf-8',
      });

    // ---- access phase ----
    try {
      const length = Number(req.headers['content-length'] ?? NaN);
      const wantBody =
        chain.needsRequestBody ||
        (route.request_buffering !== false &&
          Number.isFinite(length) &&
          length > 0 &&
          length <= MAX_BUFFERED_BODY);
      if (chain.needsRequestBody) {
        // Plugins read this body: bytes they cannot decode are not judged, and not forwarded.
        const coding = encodedRequestBody(req.headers);
        if (coding) return fail(415, `Unsupported Media Type: request content coding '${coding}'`);
      }
      if (wantBody) rc.body = await readBody(req, MAX_BUFFERED_BODY);
      for (const slot of chain.slots) {
        const inst = config.plugins.resolve(slot, rc);
        if (!inst) continue;
        executed.push(inst);
        if (inst.access) await inst.access(rc);
      }
      if (rc.authRequired && !rc.authenticated) {
        // No auth plugin accepted this request (a CORS preflight they let through): it goes
        // upstream as the client sent it, never decorated with stored credentials.
        rc.method = req.method ?? 'GET';
        rc.headers = clientHeaders();
        rc.path = upstreamPath;
        rc.query = new URLSearchParams(rawQuery);
        rc.upstreamOverride = null;
        // Judged by its framing, not by what was buffered: a streamed body counts too.
        if (
          rc.body?.length ||
          req.headers['transfer-encoding'] !== undefined ||
          Number(req.headers['content-length'] ?? 0) > 0
        )
          return fail(400, 'Bad request: an unauthenticated preflight carries no body');
      }
      // Last look at the request exactly as it will be sent (after every access plugin).
      for (const inst of executed) inst.beforeUpstream?.(rc);
    } catch (err) {
      if (err instanceof ExitSignal) return answer(err.status, err.body, err.headers);
      if (err instanceof BodyTooLarge) return fail(413, 'Request size limit exceeded');
      ctx.log?.(
        `plugin error (${executed[executed.length - 1]?.name ?? 'body'}): ${(err as Error).stack ?? err}`,
      );
      return fail(500);
    }

    // ---- upstream ----
    const override = rc.upstreamOverride;
    const upstreamProtocol = override
      ? override.url.protocol === 'https:'
        ? 'https'
        : 'http'
      : service.protocol === 'https'
        ? 'https'
        : 'http';
    const upstreamHost = override ? override.url.hostname.replace(/^\[|\]$/g, '') : service.host;
    const upstreamPort = override
      ? Number(override.url.port || DEFAULT_PORTS[upstreamProtocol])
      : service.port;
    if (override || !route.preserve_host) {
      rc.headers['host'] =
        upstreamPort === DEFAULT_PORTS[upstreamProtocol] ? upstreamHost : `${upstreamHost}:${upstreamPort}`;
    }
    // The path as it will be sent (service path + what strip_path left + plugin rewrites): a
    // `..` made by joining (`/prefix..` → `<service path>/..`) or by a template is refused too.
    const finalPath = override ? override.url.pathname : rc.path;
    const steered = steerablePath(finalPath);
    if (steered) return fail(400, `Bad request: the upstream path would have ${steered}`);
    const query = rc.query.toString();
    const path = override
      ? override.url.pathname + (override.url.search || (query ? `?${query}` : ''))
      : rc.path + (query ? `?${query}` : '');
    if (rc.body) {
      rc.headers['content-length'] = String(rc.body.length);
      delete rc.headers['transfer-encoding'];
    }
    const inspecting = executed.some((p) => p.inspectsResponse);
    if (inspecting) askForIdentity(rc.headers);
    const pool = ctx.pools.get({
      protocol: upstreamProtocol,
      host: upstreamHost,
      port: upstreamPort,
      connectTimeout: service.connect_timeout ?? 60000,
      tlsVerify: override ? override.tlsVerify : (service.tls_verify ?? false),
    });
    // The client left during the access phase: nothing to send upstream.
    if (abort.signal.aborted) return;

    const streamBody =
      !rc.body &&
      (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0);
    const retries = streamBody ? 0 : (service.retries ?? 5);
    let up: Dispatcher.ResponseData | undefined;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          upstreamStarted = performance.now();
          up = await pool.request({
            method: rc.method as Dispatcher.HttpMethod,
            path,
            headers: rc.headers,
            body: rc.body ?? (streamBody ? req : undefined),
            signal: abort.signal,
            headersTimeout: override?.timeoutMs ?? service.read_timeout ?? 60000,
            bodyTimeout: service.read_timeout ?? 60000,
          });
          break;
        } catch (err) {
          if (abort.signal.aborted) return; // client went away; upstream request cancelled
          if (attempt < retries && isRetryable(err, rc.method)) continue;
          return fail(isTimeout(err) ? 504 : 502);
        }
      }
      upstreamMs = performance.now() - upstreamStarted;

      // ---- response phase ----
      const state: ResponseState = {
        status: up.statusCode,
        headers: endToEnd(up.headers as any) as HeaderMap,
        source: 'upstream',
      };
      let upstreamBody: NodeJS.ReadableStream & AsyncIterable<Buffer> = up.body;
      if (inspecting) {
        try {
          upstreamBody = decodeResponse(state.headers, up.body) as typeof upstreamBody;
        } catch (err) {
          if (!(err instanceof UnsupportedCoding)) throw err;
          ctx.log?.(`${route.name ?? route.id}: ${err.message}`);
          return fail(502);
        }
      }
      state.headers['x-tollgate-upstream-latency'] = String(Math.round(upstreamMs));
      state.headers['x-tollgate-proxy-latency'] = String(Math.round(upstreamStarted - started));
      state.headers['via'] = '1.1 tollgate';
      const plugins = responsePlugins();
      try {
        for (const p of plugins) p.headerFilter?.(rc, state);
      } catch (err) {
        ctx.log?.(`plugin error in header filter: ${(err as Error).message}`);
        discard(up.body);
        return fail(500);
      }
      const rewriting = plugins.filter((p) => p.wantsResponseBody?.(rc, state));
      const isStream = isEventStream(state.headers['content-type']);
      if (rewriting.length) {
        let body: Buffer;
        try {
          body = Buffer.concat(await collect(upstreamBody));
        } catch (err) {
          if (!(err instanceof ResponseTooLarge)) throw err;
          discard(up.body);
          ctx.log?.(
            `response of ${route.name ?? route.id} too large to transform (over ${MAX_BUFFERED_BODY} bytes)`,
          );
          return fail(502);
        }
        try {
          // Every response-phase plugin sees the body: the buffering ones whole, the streaming
          // ones (an SSE inspector) through their filter, so buffering never skips an inspection.
          for (const p of plugins) {
            if (rewriting.includes(p)) body = p.transformBody!(rc, state, body);
            else {
              const filter = p.streamFilter?.(rc, state);
              if (filter) body = await throughFilter(filter, body);
            }
          }
        } catch (err) {
          ctx.log?.(`plugin error in body filter: ${(err as Error).message}`);
          return fail(500);
        }
        state.headers['content-length'] = String(body.length);
        delete state.headers['transfer-encoding'];
        responseStarted = performance.now();
        res.writeHead(state.status, state.headers);
        res.end(body);
        return finish(state, body.length);
      }
      responseStarted = performance.now();
      try {
        res.writeHead(state.status, state.headers);
      } catch (err) {
        ctx.log?.(`cannot send response headers: ${(err as Error).message}`);
        discard(up.body);
        return sendError(res, 502, requestId);
      }
      // Event streams and unbuffered routes get their headers out at once; either way chunks
      // are forwarded as they arrive, with backpressure (nginx's proxy_buffering reads ahead but
      // never holds a response until it ends).
      if (isStream || route.response_buffering === false) res.flushHeaders();
      let source: NodeJS.ReadableStream & AsyncIterable<Buffer> = upstreamBody;
      for (const p of plugins) {
        const filter = p.streamFilter?.(rc, state);
        // pipeline: an error on either side destroys both (and ends the loop below).
        if (filter) source = pipeline(source, filter, () => undefined);
      }
      let sent = 0;
      for await (const chunk of source) {
        sent += chunk.length;
        if (!res.write(chunk)) await waitDrain(res);
      }
      res.end();
      finish(state, sent);
    } catch (err) {
      if (abort.signal.aborted) return;
      if (!res.headersSent) return fail(isTimeout(err) ? 504 : 502);
      res.destroy(err as Error);
    } finally {
      res.off('close', onClose);
    }
  };
}

class ResponseTooLarge extends Error {}

/** A whole body through a streaming filter (when another plugin made the response buffered). */
function throughFilter(filter: NodeJS.ReadWriteStream, body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    filter.on('data', (c: Buffer | string) => out.push(Buffer.isBuffer(c) ? c : Buffer.from(c)));
    filter.on('end', () => resolve(Buffer.concat(out)));
    filter.on('error', reject);
    filter.end(body);
  });
}

/** Drop an upstream body unread (destroying an undici body emits AbortError: no one is listening). */
function discard(body: NodeJS.ReadableStream & { destroy(): void }) {
  body.on('error', () => undefined);
  body.destroy();
}

/** A response a plugin must rewrite, read whole, within the buffering limit. */
async function collect(body: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += c.length;
    if (size > MAX_BUFFERED_BODY) throw new ResponseTooLarge();
    out.push(c);
  }
  return out;
}

export { sendError };
