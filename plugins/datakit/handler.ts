/**
 * datakit: a DAG of nodes over the request and response. The graph, its execution order and
 * every jq filter are compiled once per config; per request, access-phase nodes run as their
 * inputs become ready (calls concurrently), and nodes that read `service_response` run when
 * the upstream has answered. A failing node answers 500 with Kong's body.
 */
import { compileJq, type JqProgram } from '../../shared/jq';
import { datakitPlugin, isDatakitProperty } from './schema';
import {
  buildGraph,
  executionOrder,
  type Connection,
  type DatakitGraph,
  type Endpoint,
  type NodeConfig,
} from './graph';
import { ApplyError } from '../../data-plane/runtime/entity';
import {
  defineHandler,
  ExitSignal,
  type RequestContextApi,
  type ResponseState,
} from '../../data-plane/runtime/plugin-api';
import { decodeBody, encodeBody, isJsonType, queryObject, requestHeaders, setHeaders, toQuery } from './io';
import { runBranch, runCall, runExit, runJq, runProperty, type NodeEnv, type NodeInput } from './nodes';

interface RunState {
  values: Map<string, unknown>;
  skipped: Set<string>;
  pluginStore: Record<string, unknown>;
  request: RequestView | null;
  serviceResponse: Record<string, unknown> | null;
  /** Written to `response.*` by access-phase nodes, applied when the response goes out. */
  responseHeaders: unknown[];
  responseBody: { value: unknown } | null;
}

class NodeFailure extends Error {
  constructor(
    readonly node: NodeConfig,
    readonly index: number,
    override readonly cause: unknown,
  ) {
    super(`node #${index + 1} (${node.name}) failed with error: ${(cause as Error)?.message ?? cause}`);
  }
}

interface Plan {
  graph: DatakitGraph;
  access: NodeConfig[];
  response: NodeConfig[];
  incoming: Map<string, Connection[]>;
  jq: Map<string, JqProgram>;
  indexOf: Map<string, number>;
  vault: Record<string, unknown>;
  readsRequestBody: boolean;
  /** The response phase needs the whole upstream body (or replaces it). */
  buffersResponse: boolean;
}

function plan(config: Record<string, any>): Plan {
  const nodes: NodeConfig[] = config.nodes;
  const vault = config.resources?.vault ?? {};
  const { graph, errors } = buildGraph(nodes, Object.keys(vault));
  if (errors.length) throw new ApplyError(`datakit: ${errors.map((e) => e.message).join('; ')}`);
  const jq = new Map<string, JqProgram>();
  for (const n of nodes) {
    if (n.type === 'jq') jq.set(n.name, compileJq(n.jq));
    if (n.type === 'property' && !isDatakitProperty(n.property))
      throw new ApplyError(`datakit: unknown property '${n.property}'`);
  }
  const incoming = new Map<string, Connection[]>();
  for (const c of graph.connections) {
    if (!incoming.has(c.to.node)) incoming.set(c.to.node, []);
    incoming.get(c.to.node)!.push(c);
  }
  const order = executionOrder(graph);
  const reads = (node: string, field: string | null) =>
    graph.connections.some((c) => c.from.node === node && (c.from.field === null || c.from.field === field));
  const response = order.filter((n) => graph.responsePhase.has(n.name));
  const writesResponseBody = graph.connections.some(
    (c) => c.to.node === 'response' && (c.to.field === null || c.to.field === 'body'),
  );
  return {
    graph,
    access: order.filter((n) => !graph.responsePhase.has(n.name)),
    response,
    incoming,
    jq,
    indexOf: new Map(nodes.map((n, i) => [n.name, i])),
    vault,
    readsRequestBody: reads('request', 'body'),
    buffersResponse:
      reads('service_response', 'body') || writesResponseBody || response.some((n) => n.type === 'exit'),
  };
}

/**
 * The client request as datakit sees it: captured when a node first reads any part of it (as a
 * whole, before), each part built on first read. The body is the one seen at capture, even if a
 * plugin replaces `ctx.body` before a later node reads it.
 */
interface RequestView {
  parts: Record<string, unknown>;
  body: Buffer | null;
}

function captureRequest(ctx: RequestContextApi): RequestView {
  return { parts: {}, body: ctx.body };
}

function requestPart(view: RequestView, part: string, ctx: RequestContextApi): unknown {
  if (part in view.parts) return view.parts[part];
  let value: unknown = null;
  if (part === 'headers') value = requestHeaders(ctx);
  else if (part === 'query') value = queryObject(new URLSearchParams(ctx.req.url?.split('?')[1] ?? ''));
  else if (part === 'body') {
    const type = ctx.req.headers['content-type'];
    // The request body as every plugin shares it (parsed once), when it is still that body.
    const shared = view.body === ctx.body && isJsonType(type) ? ctx.jsonBody() : undefined;
    value = shared ?? decodeBody(view.body, type);
  }
  view.parts[part] = value;
  return value;
}

/** The signal of requests nothing can cancel: one for all of them. */
const NEVER_ABORTED = new AbortController().signal;

export default defineHandler(datakitPlugin, (config, compileEnv) => {
  const p = plan(config);
  const calls = compileEnv.routeCaller;
  const hasCalls = p.access.some((n) => n.type === 'call');
  const debug = config.debug === true;
  const states = new WeakMap<RequestContextApi, RunState>();

  const read = (state: RunState, from: Endpoint, ctx: RequestContextApi): unknown => {
    let whole: unknown;
    if (from.node === 'request') {
      // Only the parts a node reads are built (the seed's check reads the headers alone).
      const view = (state.request ??= captureRequest(ctx));
      if (from.field !== null) return requestPart(view, from.field, ctx);
      for (const part of ['headers', 'query', 'body']) requestPart(view, part, ctx);
      return view.parts;
    } else if (from.node === 'service_response') whole = state.serviceResponse;
    else if (from.node === 'vault') whole = p.vault;
    else whole = state.values.get(from.node);
    if (from.field === null) return whole;
    return whole && typeof whole === 'object' && !Array.isArray(whole)
      ? ((whole as Record<string, unknown>)[from.field] ?? null)
      : null;
  };

  /** A node's inputs, or null when one of its sources was skipped. */
  const gather = (state: RunState, name: string, ctx: RequestContextApi): NodeInput | null => {
    const input: NodeInput = { self: undefined, fields: {}, connected: false };
    for (const c of p.incoming.get(name) ?? []) {
      if (state.skipped.has(c.from.node)) return null;
      const v = read(state, c.from, ctx);
      input.connected = true;
      if (c.to.field === null) input.self = v;
      else input.fields[c.to.field] = v;
    }
    return input;
  };

  const isSkipped = (state: RunState, node: NodeConfig): boolean => {
    for (const dep of p.graph.dependsOn.get(node.name) ?? []) if (state.skipped.has(dep)) return true;
    const control = p.graph.controlledBy.get(node.name);
    return !!control && control.some((c) => state.values.get(c.branch) !== c.when);
  };

  /** Runs one node; returns a promise only for calls. */
  const runNode = (state: RunState, node: NodeConfig, env: NodeEnv): unknown => {
    if (isSkipped(state, node)) {
      state.skipped.add(node.name);
      return;
    }
    const input = gather(state, node.name, env.ctx);
    if (!input) {
      state.skipped.add(node.name);
      return;
    }
    const fail = (err: unknown) => {
      if (err instanceof ExitSignal) throw err;
      throw new NodeFailure(node, p.indexOf.get(node.name)!, err);
    };
    try {
      switch (node.type) {
        case 'jq':
          state.values.set(node.name, runJq(p.jq.get(node.name)!, input));
          return;
        case 'static':
          state.values.set(node.name, node.values);
          return;
        case 'branch':
          state.values.set(node.name, runBranch(input));
          return;
        case 'exit':
          return runExit(node, input, env);
        case 'property':
          state.values.set(node.name, runProperty(node, input, env));
          return;
        case 'call':
          return runCall(node, input, env).then((v) => state.values.set(node.name, v), fail);
      }
    } catch (err) {
      fail(err);
    }
  };

  const applyRequestWrites = (state: RunState, ctx: RequestContextApi) => {
    for (const c of p.incoming.get('service_request') ?? []) {
      if (state.skipped.has(c.from.node)) continue;
      const v = read(state, c.from, ctx);
      const parts: Record<string, unknown> =
        c.to.field === null ? ((v ?? {}) as Record<string, unknown>) : { [c.to.field]: v };
      if ('headers' in parts) setHeaders(ctx.headers, parts.headers, 'service_request.headers');
      if ('query' in parts) ctx.query = toQuery(parts.query, 'service_request.query');
      if ('body' in parts) {
        ctx.body = encodeBody(parts.body, ctx.headers);
        delete ctx.headers['transfer-encoding'];
      }
    }
    for (const c of p.incoming.get('response') ?? []) {
      if (state.skipped.has(c.from.node) || p.graph.responsePhase.has(c.from.node)) continue;
      collectResponseWrite(state, c, read(state, c.from, ctx));
    }
  };

  const collectResponseWrite = (state: RunState, c: Connection, v: unknown) => {
    const parts: Record<string, unknown> =
      c.to.field === null ? ((v ?? {}) as Record<string, unknown>) : { [c.to.field]: v };
    if ('headers' in parts) state.responseHeaders.push(parts.headers);
    if ('body' in parts) state.responseBody = { value: parts.body };
  };

  const errorBody = (ctx: RequestContextApi, err: NodeFailure) =>
    debug
      ? {
          message: 'node execution error',
          request_id: ctx.requestId,
          error: (err.cause as Error)?.message ?? String(err.cause),
          node: { index: err.index + 1, name: err.node.name, type: err.node.type },
        }
      : { message: 'An unexpected error occurred', request_id: ctx.requestId };

  /** Response-phase nodes (synchronous by construction: calls are refused there). */
  const runResponsePhase = (ctx: RequestContextApi, res: ResponseState, body: Buffer | null) => {
    const state = states.get(ctx);
    if (!state) return;
    state.serviceResponse = {
      status: res.status,
      headers: { ...res.headers },
      body: body === null ? null : decodeBody(body, res.headers['content-type']),
    };
    // Response-phase nodes make no calls (refused at write time): nothing to cancel.
    const env: NodeEnv = { ctx, res, pluginStore: state.pluginStore, signal: NEVER_ABORTED, calls };
    for (const node of p.response) {
      try {
        runNode(state, node, env);
      } catch (err) {
        if (err instanceof ExitSignal) {
          res.status = err.status;
          for (const k of Object.keys(res.headers)) if (k !== 'x-tollgate-request-id') delete res.headers[k];
          Object.assign(res.headers, err.headers);
          state.responseBody = { value: err.body ?? '' };
          return;
        }
        throw err;
      }
    }
    for (const c of p.incoming.get('response') ?? []) {
      if (!p.graph.responsePhase.has(c.from.node) || state.skipped.has(c.from.node)) continue;
      collectResponseWrite(state, c, read(state, c.from, ctx));
    }
  };

  const applyResponseHeaders = (state: RunState, res: ResponseState) => {
    for (const h of state.responseHeaders) setHeaders(res.headers, h, 'response.headers');
    state.responseHeaders = [];
  };

  return {
    needsRequestBody: p.readsRequestBody,
    inspectsResponse: p.buffersResponse,
    async access(ctx) {
      const state: RunState = {
        values: new Map(),
        skipped: new Set(),
        pluginStore: {},
        request: null,
        serviceResponse: null,
        responseHeaders: [],
        responseBody: null,
      };
      states.set(ctx, state);
      // Only graphs with `call` nodes have anything to cancel when another node fails.
      const abort = hasCalls ? new AbortController() : null;
      const env: NodeEnv = {
        ctx,
        res: null,
        pluginStore: state.pluginStore,
        signal: abort ? abort.signal : NEVER_ABORTED,
        calls,
      };
      const done = new Map<string, Promise<unknown>>();
      try {
        for (const node of p.access) {
          const deps = [...(p.graph.dependsOn.get(node.name) ?? [])].map((d) => done.get(d)).filter(Boolean);
          // Nodes run inline when nothing they wait for is in flight; calls overlap.
          const result = deps.length
            ? Promise.all(deps).then(() => runNode(state, node, env))
            : runNode(state, node, env);
          if (result instanceof Promise) {
            result.catch(() => {}); // observed below; never an unhandled rejection
            done.set(node.name, result);
          }
        }
        await Promise.all(done.values());
        applyRequestWrites(state, ctx);
      } catch (err) {
        abort?.abort();
        if (err instanceof ExitSignal) throw err;
        if (err instanceof NodeFailure) ctx.exit(500, errorBody(ctx, err));
        throw err;
      }
    },
    headerFilter(ctx, res) {
      const state = states.get(ctx);
      if (!state) return;
      if (res.source === 'upstream' && p.response.length && !p.buffersResponse)
        runResponsePhase(ctx, res, null);
      applyResponseHeaders(state, res);
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
        runResponsePhase(ctx, res, body);
        applyResponseHeaders(state, res);
      }
      if (!state.responseBody) return body;
      return encodeBody(state.responseBody.value, res.headers);
    },
  };
});
