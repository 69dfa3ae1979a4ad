/** The upstream request through the pool's interceptors (upstream-interceptors.ts). */
import type { Dispatcher } from 'undici';
import type { ProxyRequest } from './proxy-request';
import type { UpstreamTarget } from './upstream-target';
import type { UpstreamRequestOptions } from './upstream-interceptors';
import { upstreamFailure } from './upstream-errors';
import { upstreamRequest, type UpstreamResponse } from './upstream-request';
import { balanceRequest } from '../balancer/balance-request';
import type { BalanceOptions } from '../balancer/balanced-dispatcher';

/** The pool for the target, or the balancer's when the service's host names an upstream. */
function dispatcherFor(
  pr: ProxyRequest,
  target: UpstreamTarget,
): { pool: Dispatcher; balance?: BalanceOptions } {
  const settings = {
    protocol: target.protocol,
    connectTimeout: target.connectTimeout,
    tlsVerify: target.tlsVerify,
    // A plugin's own upstream (ai-proxy-advanced) is not the service's: no service TLS material.
    tls: pr.rc.upstreamOverride ? undefined : pr.upstreamTls,
  };
  const balancer = pr.rc.upstreamOverride ? undefined : pr.balancers?.get(target.host.toLowerCase());
  if (!balancer) return { pool: pr.ctx.pools.get({ ...settings, host: target.host, port: target.port }) };
  const balance = balanceRequest(pr.rc, balancer, target.protocol, pr.route.preserve_host === true);
  return { pool: pr.ctx.pools.balanced(settings), balance };
}

/** The upstream's response, or null when the gateway answered (or the client left). */
export async function callUpstream(
  pr: ProxyRequest,
  target: UpstreamTarget,
  decode: boolean,
  deadlineMs: number | undefined,
): Promise<UpstreamResponse | null> {
  const { rc, req, service } = pr;
  const { pool, balance } = dispatcherFor(pr, target);
  // A client's body nobody read goes upstream as it arrives (and is never sent twice).
  const streamBody =
    !rc.body &&
    !pr.gatewayMade &&
    (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0);
  const opts: Dispatcher.DispatchOptions & UpstreamRequestOptions & { balance?: BalanceOptions } = {
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
    balance,
  };
  try {
    const up = await upstreamRequest(pool, opts);
    pr.upstreamMs = performance.now() - pr.upstreamStarted;
    return up;
  } catch (err) {
    if (pr.abort.aborted) return null; // client went away; upstream request cancelled
    const failure = upstreamFailure(err);
    const at = balance?.chosen
      ? `${balance.chosen.host}:${balance.chosen.port}`
      : `${target.host}:${target.port}`;
    pr.upstreamFailed(failure, `${target.protocol}://${at}${target.path}`);
    pr.fail(failure.status, failure.message);
    return null;
  }
}
