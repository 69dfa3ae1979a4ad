/** The upstream request, retried on connection failures when the body can be sent again. */
import type { Dispatcher } from 'undici';
import type { ProxyRequest } from './proxy-request';
import type { UpstreamTarget } from './upstream-target';
import { isRetryable, upstreamFailure } from './upstream-errors';

/**
 * `pool.request(opts)`, sent again up to `retries` times on a failure Kong retries
 * (upstream-errors.ts) while `live()`; the last failure is thrown. Client requests and the
 * gateway's own route calls both go through here.
 */
export async function requestWithRetries(
  pool: Dispatcher,
  opts: Dispatcher.RequestOptions,
  retries: number,
  live: () => boolean,
  onAttempt?: () => void,
): Promise<Dispatcher.ResponseData> {
  for (let attempt = 0; ; attempt++) {
    try {
      onAttempt?.();
      return await pool.request(opts);
    } catch (err) {
      if (attempt < retries && live() && isRetryable(err, opts.method)) continue;
      throw err;
    }
  }
}

/** The upstream's response, or null when the gateway answered (or the client left). */
export async function callUpstream(
  pr: ProxyRequest,
  target: UpstreamTarget,
): Promise<Dispatcher.ResponseData | null> {
  const { rc, req, service } = pr;
  const pool = pr.ctx.pools.get({
    protocol: target.protocol,
    host: target.host,
    port: target.port,
    connectTimeout: target.connectTimeout,
    tlsVerify: target.tlsVerify,
  });
  const streamBody =
    !rc.body &&
    (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0);
  try {
    const up = await requestWithRetries(
      pool,
      {
        method: rc.method as Dispatcher.HttpMethod,
        path: target.path,
        headers: rc.headers,
        body: rc.body ?? (streamBody ? req : undefined),
        signal: pr.abort,
        headersTimeout: target.headersTimeout,
        bodyTimeout: target.bodyTimeout,
      },
      streamBody ? 0 : (service.retries ?? 5),
      () => !pr.abort.aborted,
      () => (pr.upstreamStarted = performance.now()),
    );
    pr.upstreamMs = performance.now() - pr.upstreamStarted;
    return up;
  } catch (err) {
    if (pr.abort.aborted) return null; // client went away; upstream request cancelled
    const failure = upstreamFailure(err);
    pr.upstreamFailed(failure, `${target.protocol}://${target.host}:${target.port}${target.path}`);
    pr.fail(failure.status, failure.message);
    return null;
  }
}
