/**
 * The access phase: the request body when a plugin reads it, every plugin of the route in
 * access order, the unauthenticated-request rule, then each plugin's last look. Returns false
 * when the gateway has answered (an exit, an error) and the upstream must not be called.
 */
import { StreamedExit } from '../runtime/plugin-api';
import { sendGatewayStream } from './response-phase';
import type { RouteChain } from '../runtime/plugin-chain';
import type { CompiledConfig } from '../runtime/compiled-config';
import { BodyTooLarge, MAX_BUFFERED_BODY, readBody } from './body';
import { phaseAnswer, runAccess, runBeforeUpstream } from './plugin-phases';
import { encodedRequestBody } from './content-coding';
import type { ProxyRequest } from './proxy-request';
import { GATEWAY_ERRORS } from '../errors';

export interface ClientRequestView {
  /** Upstream headers as built from the client's (forwarding-headers.ts). */
  headers: () => Record<string, string | string[]>;
  path: string;
  rawQuery: string;
}

export async function runAccessPhase(
  pr: ProxyRequest,
  config: CompiledConfig,
  chain: RouteChain,
  client: ClientRequestView,
): Promise<boolean> {
  const { req, rc, route } = pr;
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
      if (coding) {
        pr.fail(415, `Unsupported Media Type: request content coding '${coding}'`);
        return false;
      }
    }
    // A body that says it is over the limit is refused before any of it is read.
    if (wantBody && length > MAX_BUFFERED_BODY)
      throw new BodyTooLarge(`request body larger than ${MAX_BUFFERED_BODY} bytes`);
    if (wantBody) rc.body = await readBody(req, MAX_BUFFERED_BODY);
    // A route without plugins pays no await for them.
    if (chain.slots.length) await runAccess(config, chain.slots, rc, pr.executed, 0, undefined, pr.loggers);
    if (rc.authRequired && !rc.authenticated) {
      // No auth plugin accepted this request (a CORS preflight they let through): it goes
      // upstream as the client sent it, never decorated with stored credentials.
      rc.method = req.method ?? 'GET';
      rc.headers = client.headers();
      rc.path = client.path;
      rc.query = new URLSearchParams(client.rawQuery);
      rc.upstreamOverride = null;
      // Judged by its framing, not by what was buffered: a streamed body counts too.
      if (
        rc.body?.length ||
        req.headers['transfer-encoding'] !== undefined ||
        Number(req.headers['content-length'] ?? 0) > 0
      ) {
        pr.fail(400, GATEWAY_ERRORS.unauthenticatedBody);
        return false;
      }
    }
    // Last look at the request exactly as it will be sent (after every access plugin).
    if (pr.executed.length) runBeforeUpstream(pr.executed, rc);
    return true;
  } catch (err) {
    if (err instanceof StreamedExit) {
      await sendGatewayStream(pr, err);
      return false;
    }
    const answer = phaseAnswer(err, pr.requestId, pr.ctx.log);
    if (answer) pr.answer(answer.status, answer.body, answer.headers);
    else {
      // Reading the body failed (the client's stream broke).
      pr.ctx.log?.(`request body: ${(err as Error).stack ?? err}`);
      pr.fail(500);
    }
    return false;
  }
}
