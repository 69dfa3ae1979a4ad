/**
 * The request path of a data plane: route → (plugins, later) → upstream, streaming both ways.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { errors as undiciErrors } from 'undici';
import type { ConfigHolder } from '../runtime/config-holder';
import { joinUpstreamPath } from '../router/path';
import { endToEnd } from './headers';
import { sendError } from './kong-error';
import type { UpstreamPools } from './upstream-pools';
import type { ProxyMetrics } from '../status/metrics';

export interface ProxyContext {
  holder: ConfigHolder;
  pools: UpstreamPools;
  metrics: ProxyMetrics;
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 };

function hostOf(req: IncomingMessage, localPort: number): { host: string; port: number } {
  const raw = (req.headers.host ?? '').toLowerCase();
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(raw);
  if (!m) return { host: '', port: localPort };
  return { host: m[1], port: m[2] ? Number(m[2]) : localPort };
}

function isTimeout(err: any): boolean {
  return (
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError ||
    err?.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    err?.code === 'UND_ERR_BODY_TIMEOUT' ||
    err?.code === 'UND_ERR_CONNECT_TIMEOUT'
  );
}

/** Connection-level failures before anything was sent: safe to retry on another attempt. */
function isRetryable(err: any): boolean {
  return [
    'ECONNREFUSED',
    'ECONNRESET',
    'EPIPE',
    'UND_ERR_SOCKET',
    'UND_ERR_CONNECT_TIMEOUT',
    'ENOTFOUND',
    'EAI_AGAIN',
  ].includes(err?.code);
}

export function createProxyHandler(ctx: ProxyContext, protocol: 'http' | 'https', localPort: number) {
  return async function handle(req: IncomingMessage, res: ServerResponse) {
    const started = performance.now();
    const requestId = randomUUID();
    const config = ctx.holder.current;
    const { host, port } = hostOf(req, localPort);
    const [rawPath, query] = splitUrl(req.url ?? '/');
    if (!config) return sendError(res, 503, requestId, 'no configuration available');
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
    const service = route.service ? config.services.get(route.service.id) : undefined;
    if (!service || service.enabled === false) {
      ctx.metrics.request(service ?? null, route, 503, performance.now() - started);
      return sendError(res, 503, requestId, 'no Service found with those values');
    }

    const rest =
      route.strip_path && match.matchedPath
        ? match.normalizedPath.slice(match.matchedLength)
        : match.normalizedPath;
    const upstreamPath =
      joinUpstreamPath(service.path ?? null, rest, route.path_handling ?? 'v0') + (query ? `?${query}` : '');
    const upstreamProtocol = service.protocol === 'https' ? 'https' : 'http';
    const headers = endToEnd(req.headers);
    const clientIp = req.socket.remoteAddress ?? '';
    const xff = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = xff ? `${xff}, ${clientIp}` : clientIp;
    headers['x-forwarded-proto'] = protocol;
    headers['x-forwarded-host'] = host;
    headers['x-forwarded-port'] = String(port);
    headers['x-forwarded-path'] = rawPath;
    headers['x-real-ip'] = clientIp;
    if (match.matchedPath && route.strip_path && !match.matchedPath.startsWith('~'))
      headers['x-forwarded-prefix'] = match.matchedPath;
    if (!route.preserve_host) {
      headers['host'] =
        service.port === DEFAULT_PORTS[upstreamProtocol] ? service.host : `${service.host}:${service.port}`;
    }

    const pool = ctx.pools.get({
      protocol: upstreamProtocol,
      host: service.host,
      port: service.port,
      connectTimeout: service.connect_timeout ?? 60000,
      tlsVerify: service.tls_verify ?? false,
    });
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.on('close', onClose);

    const hasBody =
      req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0'
        ? true
        : req.headers['transfer-encoding'] !== undefined;
    const retries = hasBody ? 0 : (service.retries ?? 5);
    let upstreamStarted = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        upstreamStarted = performance.now();
        const up = await pool.request({
          method: (req.method ?? 'GET') as any,
          path: upstreamPath,
          headers,
          body: hasBody ? req : undefined,
          signal: abort.signal,
          headersTimeout: service.read_timeout ?? 60000,
          bodyTimeout: service.read_timeout ?? 60000,
        });
        const upstreamLatency = performance.now() - upstreamStarted;
        const out = endToEnd(up.headers as any);
        out['x-tollgate-upstream-latency'] = String(Math.round(upstreamLatency));
        out['x-tollgate-proxy-latency'] = String(Math.round(upstreamStarted - started));
        out['via'] = '1.1 tollgate';
        res.writeHead(up.statusCode, out);
        // Event streams must reach the client as they are produced.
        if (String(up.headers['content-type'] ?? '').startsWith('text/event-stream')) res.flushHeaders();
        for await (const chunk of up.body) {
          if (!res.write(chunk)) await waitDrain(res);
        }
        res.end();
        ctx.metrics.request(service, route, up.statusCode, performance.now() - started, upstreamLatency);
        return;
      } catch (err: any) {
        if (abort.signal.aborted) return; // client went away; upstream request cancelled
        if (res.headersSent) {
          res.destroy(err);
          return;
        }
        if (attempt < retries && isRetryable(err)) continue;
        const status = isTimeout(err) ? 504 : 502;
        ctx.metrics.request(service, route, status, performance.now() - started);
        return sendError(res, status, requestId);
      } finally {
        if (attempt >= retries || res.headersSent || abort.signal.aborted) res.off('close', onClose);
      }
    }
  };
}

function splitUrl(url: string): [string, string] {
  const i = url.indexOf('?');
  return i === -1 ? [url, ''] : [url.slice(0, i), url.slice(i + 1)];
}

function waitDrain(res: ServerResponse): Promise<void> {
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
