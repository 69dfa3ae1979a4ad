/** The upstream request, retried on connection failures when the body can be sent again. */
import type { Dispatcher } from 'undici';
import type { ProxyRequest } from './proxy-request';
import type { UpstreamTarget } from './upstream-target';
import { isRetryable, upstreamFailure } from './upstream-errors';

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
  const retries = streamBody ? 0 : (service.retries ?? 5);
  for (let attempt = 0; ; attempt++) {
    try {
      pr.upstreamStarted = performance.now();
      const up = await pool.request({
        method: rc.method as Dispatcher.HttpMethod,
        path: target.path,
        headers: rc.headers,
        body: rc.body ?? (streamBody ? req : undefined),
        signal: pr.abort,
        headersTimeout: target.headersTimeout,
        bodyTimeout: target.bodyTimeout,
      });
      pr.upstreamMs = performance.now() - pr.upstreamStarted;
      return up;
    } catch (err) {
      if (pr.abort.aborted) return null; // client went away; upstream request cancelled
      if (attempt < retries && isRetryable(err, rc.method)) continue;
      const failure = upstreamFailure(err);
      pr.upstreamFailed(failure, `${target.protocol}://${target.host}:${target.port}${target.path}`);
      pr.fail(failure.status, failure.message);
      return null;
    }
  }
}
