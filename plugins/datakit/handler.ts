/**
 * datakit: a DAG of nodes over the request and response. The graph, its execution order and
 * every jq filter are compiled once per config (plan.ts); per request, access-phase nodes run as
 * their inputs become ready (calls concurrently), and nodes that read `service_response` run when
 * the upstream has answered (runner.ts). A failing node answers 500 with Kong's body.
 */
import { datakitPlugin } from './schema';
import { defineHandler } from '../../data-plane/runtime/plugin-api';
import { encodeBody } from './io';
import { plan } from './plan';
import { DatakitRunner } from './runner';

export default defineHandler(datakitPlugin, (config, compileEnv) => {
  const run = new DatakitRunner(plan(config), compileEnv.routeCaller, config.debug === true);
  const p = run.p;
  const states = run.states;
  return {
    needsRequestBody: p.readsRequestBody,
    inspectsResponse: p.buffersResponse,
    access: (ctx) => run.runAccess(ctx),
    headerFilter(ctx, res) {
      const state = states.get(ctx);
      if (!state) return;
      if (res.source === 'upstream' && p.response.length && !p.buffersResponse)
        run.runResponsePhase(ctx, res, null);
      run.applyResponseHeaders(state, res);
      if (p.buffersResponse || state.responseBody) delete res.headers['content-length'];
    },
    wantsResponseBody(ctx, res) {
      const state = states.get(ctx);
      return (
        !!state &&
        ((res.source === 'upstream' && p.buffersResponse && p.response.length > 0) || !!state.responseBody)
      );
    },
    transformBody(ctx, res, body) {
      const state = states.get(ctx)!;
      if (res.source === 'upstream' && p.buffersResponse && p.response.length) {
        run.runResponsePhase(ctx, res, body);
        run.applyResponseHeaders(state, res);
      }
      if (!state.responseBody) return body;
      return encodeBody(state.responseBody.value, res.headers);
    },
  };
});
