/**
 * A whole response body through every response-phase plugin, in order: the buffering ones
 * (`wantsResponseBody`) rewrite it, the streaming ones (an SSE inspector) see it through their
 * filter, so buffering never skips an inspection. Shared by the proxy's buffered responses and
 * the gateway's own route calls.
 */
import type { PluginInstance, RequestContextApi, ResponseState } from '../runtime/plugin-api';
import { throughFilter } from './body-streams';

export async function filterWholeBody(
  plugins: readonly PluginInstance[],
  rc: RequestContextApi,
  state: ResponseState,
  body: Buffer,
): Promise<Buffer> {
  for (const p of plugins) {
    if (p.wantsResponseBody?.(rc, state)) body = p.transformBody!(rc, state, body);
    else {
      const filter = p.streamFilter?.(rc, state);
      if (filter) body = await throughFilter(filter, body);
    }
  }
  return body;
}
