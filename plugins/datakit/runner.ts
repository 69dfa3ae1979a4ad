/**
 * One configured datakit run per request: access-phase nodes as their inputs become ready
 * (calls concurrently), the writes to the service request, then the response-phase nodes when
 * the upstream has answered. State per request lives in a WeakMap keyed by the request.
 */
import type { Connection, Endpoint, NodeConfig } from './graph';
import { ExitSignal, type RequestContextApi, type ResponseState } from '../../data-plane/runtime/plugin-api';
import { decodeBody, encodeBody, isJsonType, queryObject, requestHeaders, setHeaders, toQuery } from './io';
import { runBranch, runCall, runExit, runJq, runProperty, type NodeEnv, type NodeInput } from './nodes';
import type { RouteCaller } from '../../data-plane/runtime/route-caller';
import type { Plan } from './plan';

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

/** One configured datakit: its plan, run per request (state per request in a WeakMap). */
export class DatakitRunner {
  readonly states = new WeakMap<RequestContextApi, RunState>();
  readonly hasCalls: boolean;

  constructor(
    readonly p: Plan,
    readonly calls: RouteCaller,
    readonly debug: boolean,
  ) {
    this.hasCalls = p.access.some((n) => n.type === 'call');
  }
  read(state: RunState, from: Endpoint, ctx: RequestContextApi): unknown {
    let whole: unknown;
    if (from.node === 'request') {
      // Only the parts a node reads are built (the seed's check reads the headers alone).
      const view = (state.request ??= captureRequest(ctx));
      if (from.field !== null) return requestPart(view, from.field, ctx);
      for (const part of ['headers', 'query', 'body']) requestPart(view, part, ctx);
      return view.parts;
    } else if (from.node === 'service_response') whole = state.serviceResponse;
    else if (from.node === 'vault') whole = this.p.vault;
    else whole = state.values.get(from.node);
    if (from.field === null) return whole;
    return whole && typeof whole === 'object' && !Array.isArray(whole)
      ? ((whole as Record<string, unknown>)[from.field] ?? null)
      : null;
  }

  /** A node's inputs, or null when one of its sources was skipped. */
  gather(state: RunState, name: string, ctx: RequestContextApi): NodeInput | null {
    const input: NodeInput = { self: undefined, fields: {}, connected: false };
    for (const c of this.p.incoming.get(name) ?? []) {
      if (state.skipped.has(c.from.node)) return null;
      const v = this.read(state, c.from, ctx);
      input.connected = true;
      if (c.to.field === null) input.self = v;
      else input.fields[c.to.field] = v;
    }
    return input;
  }

  isSkipped(state: RunState, node: NodeConfig): boolean {
    for (const dep of this.p.graph.dependsOn.get(node.name) ?? []) if (state.skipped.has(dep)) return true;
    const control = this.p.graph.controlledBy.get(node.name);
    return !!control && control.some((c) => state.values.get(c.branch) !== c.when);
  }

  /** Runs one node; returns a promise only for calls. */
  runNode(state: RunState, node: NodeConfig, env: NodeEnv): unknown {
    if (this.isSkipped(state, node)) {
      state.skipped.add(node.name);
      return;
    }
    const input = this.gather(state, node.name, env.ctx);
    if (!input) {
      state.skipped.add(node.name);
      return;
    }
    const fail = (err: unknown) => {
      if (err instanceof ExitSignal) throw err;
      throw new NodeFailure(node, this.p.indexOf.get(node.name)!, err);
    };
    try {
      switch (node.type) {
        case 'jq':
          state.values.set(node.name, runJq(this.p.jq.get(node.name)!, input));
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
  }

  applyRequestWrites(state: RunState, ctx: RequestContextApi) {
    for (const c of this.p.incoming.get('service_request') ?? []) {
      if (state.skipped.has(c.from.node)) continue;
      const v = this.read(state, c.from, ctx);
      const parts: Record<string, unknown> =
        c.to.field === null ? ((v ?? {}) as Record<string, unknown>) : { [c.to.field]: v };
      if ('headers' in parts) setHeaders(ctx.headers, parts.headers, 'service_request.headers');
      if ('query' in parts) ctx.query = toQuery(parts.query, 'service_request.query');
      if ('body' in parts) {
        ctx.body = encodeBody(parts.body, ctx.headers);
        delete ctx.headers['transfer-encoding'];
      }
    }
    for (const c of this.p.incoming.get('response') ?? []) {
      if (state.skipped.has(c.from.node) || this.p.graph.responsePhase.has(c.from.node)) continue;
      this.collectResponseWrite(state, c, this.read(state, c.from, ctx));
    }
  }

  collectResponseWrite(state: RunState, c: Connection, v: unknown) {
    const parts: Record<string, unknown> =
      c.to.field === null ? ((v ?? {}) as Record<string, unknown>) : { [c.to.field]: v };
    if ('headers' in parts) state.responseHeaders.push(parts.headers);
    if ('body' in parts) state.responseBody = { value: parts.body };
  }

  errorBody(ctx: RequestContextApi, err: NodeFailure) {
    return this.debug
      ? {
          message: 'node execution error',
          request_id: ctx.requestId,
          error: (err.cause as Error)?.message ?? String(err.cause),
          node: { index: err.index + 1, name: err.node.name, type: err.node.type },
        }
      : { message: 'An unexpected error occurred', request_id: ctx.requestId };
  }

  /** Response-phase nodes (synchronous by construction: calls are refused there). */
  runResponsePhase(ctx: RequestContextApi, res: ResponseState, body: Buffer | null) {
    const state = this.states.get(ctx);
    if (!state) return;
    state.serviceResponse = {
      status: res.status,
      headers: { ...res.headers },
      body: body === null ? null : decodeBody(body, res.headers['content-type']),
    };
    // Response-phase nodes make no calls (refused at write time): nothing to cancel.
    const env: NodeEnv = {
      ctx,
      res,
      pluginStore: state.pluginStore,
      signal: NEVER_ABORTED,
      calls: this.calls,
    };
    for (const node of this.p.response) {
      try {
        this.runNode(state, node, env);
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
    for (const c of this.p.incoming.get('response') ?? []) {
      if (!this.p.graph.responsePhase.has(c.from.node) || state.skipped.has(c.from.node)) continue;
      this.collectResponseWrite(state, c, this.read(state, c.from, ctx));
    }
  }

  applyResponseHeaders(state: RunState, res: ResponseState) {
    for (const h of state.responseHeaders) setHeaders(res.headers, h, 'response.headers');
    state.responseHeaders = [];
  }

  /** Access-phase nodes as their inputs become ready (calls overlap), then the request writes. */
  async runAccess(ctx: RequestContextApi): Promise<void> {
    const state: RunState = {
      values: new Map(),
      skipped: new Set(),
      pluginStore: {},
      request: null,
      serviceResponse: null,
      responseHeaders: [],
      responseBody: null,
    };
    this.states.set(ctx, state);
    // Only graphs with `call` nodes have anything to cancel when another node fails.
    const abort = this.hasCalls ? new AbortController() : null;
    const env: NodeEnv = {
      ctx,
      res: null,
      pluginStore: state.pluginStore,
      signal: abort ? abort.signal : NEVER_ABORTED,
      calls: this.calls,
    };
    const done = new Map<string, Promise<unknown>>();
    try {
      for (const node of this.p.access) {
        const deps = [...(this.p.graph.dependsOn.get(node.name) ?? [])]
          .map((d) => done.get(d))
          .filter(Boolean);
        // Nodes run inline when nothing they wait for is in flight; calls overlap.
        const result = deps.length
          ? Promise.all(deps).then(() => this.runNode(state, node, env))
          : this.runNode(state, node, env);
        if (result instanceof Promise) {
          result.catch(() => {}); // observed below; never an unhandled rejection
          done.set(node.name, result);
        }
      }
      await Promise.all(done.values());
      this.applyRequestWrites(state, ctx);
    } catch (err) {
      abort?.abort();
      if (err instanceof ExitSignal) throw err;
      if (err instanceof NodeFailure) ctx.exit(500, this.errorBody(ctx, err));
      throw err;
    }
  }
}
