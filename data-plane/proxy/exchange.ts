/**
 * The second half of every exchange, client request or gateway-made call alike: where it goes
 * (upstream-target.ts), how its body is framed, the upstream call through the pool's
 * interceptors (retries, decoding, deadline), then the response phase into the exchange's sink.
 * The access phase before it differs only in which plugins run (access-phase.ts for clients,
 * route-call.ts for calls); both run through the one phase runner (plugin-phases.ts).
 */
import type { RequestContext } from '../runtime/request-context';
import type { ProxyRequest } from './proxy-request';
import { upstreamTarget } from './upstream-target';
import { callUpstream } from './upstream-call';
import { sendUpstreamResponse } from './response-phase';
import { upstreamFailure } from './upstream-errors';

export interface ExchangeOptions {
  /** Decode the response whatever the plugins (the caller reads it). */
  decode?: boolean;
  /** A deadline of the caller's, capping the service's timeouts. */
  deadlineMs?: number;
  /** The last change to the request once its target is known (a call's own Host). */
  prepare?: (rc: RequestContext) => void;
}

/** A client's exchange asks for nothing more (one object, not one per request). */
const CLIENT_EXCHANGE: ExchangeOptions = Object.freeze({});

export async function exchangeWithUpstream(
  pr: ProxyRequest,
  how: ExchangeOptions = CLIENT_EXCHANGE,
): Promise<void> {
  const { rc, sink } = pr;
  try {
    const target = upstreamTarget(rc, pr.service, pr.route);
    if ('refused' in target) return pr.fail(400, target.refused);
    how.prepare?.(rc);
    if (rc.body) {
      rc.headers['content-length'] = String(rc.body.length);
      delete rc.headers['transfer-encoding'];
    }
    const decode = how.decode || pr.executed.some((p) => p.inspectsResponse);
    // The client left during the access phase: nothing to send upstream.
    if (pr.abort.aborted) return;
    const up = await callUpstream(pr, target, decode, how.deadlineMs);
    if (!up) return;
    await sendUpstreamResponse(pr, up);
  } catch (err) {
    if (pr.abort.aborted) return;
    if (!sink.headersSent) {
      const failure = upstreamFailure(err);
      pr.upstreamFailed(failure, null);
      return pr.fail(failure.status, failure.message);
    }
    sink.destroy(err as Error);
  }
}
