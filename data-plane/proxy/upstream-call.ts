/** The upstream request through the pool's interceptors (upstream-interceptors.ts). */
import type { Dispatcher } from 'undici';
import type { ProxyRequest } from './proxy-request';
import type { UpstreamTarget } from './upstream-target';
import type { UpstreamRequestOptions } from './upstream-interceptors';
import { upstreamFailure } from './upstream-errors';
import { upstreamRequest, type UpstreamResponse } from './upstream-request';

/** The upstream's response, or null when the gateway answered (or the client left). */
export async function callUpstream(
  pr: ProxyRequest,
  target: UpstreamTarget,
  decode: boolean,
  deadlineMs: number | undefined,
): Promise<UpstreamResponse | null> {
  const { rc, req, service } = pr;
  const pool = pr.ctx.pools.get({
    protocol: target.protocol,
    host: target.host,
    port: target.port,
    connectTimeout: target.connectTimeout,
    tlsVerify: target.tlsVerify,
  });
  // A client's body nobody read goes upstream as it arrives (and is never sent twice).
  const streamBody =
    !rc.body &&
    !pr.gatewayMade &&
    (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0);
  const opts: Dispatcher.DispatchOptions & UpstreamRequestOptions = {
    method: rc.method as Dispatcher.HttpMethod,
    path: target.path,
    headers: rc.headers,
    body: rc.body ?? (streamBody ? req : undefined),
    signal: pr.abort,
    headersTimeout: target.headersTimeout,
    bodyTimeout: target.bodyTimeout,
    retries: streamBody ? 0 : (service.retries ?? 5),
    onAttempt: () => (pr.upstreamStarted = performance.now()),
    decode,
    deadlineMs,
  };
  try {
    const up = await upstreamRequest(pool, opts);
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
