/**
 * What a plugin handler implements (one folder per plugin in data-plane/plugins/) and what it
 * sees of a request. Instances are created once per snapshot; per-request state lives in the
 * RequestContext only.
 */
import type { IncomingMessage } from 'node:http';
import type { Static, TObject } from '@sinclair/typebox';
import type { PluginDefinition } from '../../shared/plugins/definition';
import type { Slot, SlotValues } from './slots';
import type { Consumer, ConsumerGroup, Entity, Route, Service } from './entity';
import type { AnalyticsRecord } from '../../shared/analytics/record';

export type HeaderMap = Record<string, string | string[]>;

export interface AnalyticsFields {
  fields: Partial<AnalyticsRecord>;
  entries: Partial<AnalyticsRecord>[] | null;
}

export interface ResponseState {
  status: number;
  /** Response headers, lowercase names; plugins edit them in headerFilter. */
  headers: HeaderMap;
  /** Where the response comes from: the upstream or the gateway itself (an exit). */
  source: 'upstream' | 'gateway';
}

/** Thrown by `ctx.exit()`: the gateway answers, the upstream is not called. */
export class ExitSignal {
  constructor(
    readonly status: number,
    readonly body: Buffer | string | undefined,
    readonly headers: HeaderMap,
  ) {}
}

/**
 * Thrown by `ctx.exitStream()`: the gateway answers with a body it is still writing (the
 * gateway's own MCP server relaying a source's progress on an event stream). It goes out through
 * the response phase as an upstream's stream does; where a stream cannot be sent (a response
 * phase's exit), it is destroyed and Kong's 500 goes out.
 */
export class StreamedExit extends ExitSignal {
  constructor(
    status: number,
    headers: HeaderMap,
    readonly stream: NodeJS.ReadableStream & { destroy(err?: Error): void },
  ) {
    super(status, undefined, headers);
  }
}

/** "The client went away", once (an EventEmitter's `abort`). */
export interface ClientLeft {
  readonly aborted: boolean;
  once(event: 'abort', listener: () => void): unknown;
  off(event: 'abort', listener: () => void): unknown;
}

export interface RequestContextApi {
  readonly requestId: string;
  readonly req: IncomingMessage;
  readonly route: Route;
  readonly service: Service;
  readonly clientProtocol: 'http' | 'https';
  /** Upstream request, editable by access-phase plugins. */
  method: string;
  path: string;
  query: URLSearchParams;
  headers: HeaderMap;
  /** Buffered request body (present when a plugin on the route needs it). */
  body: Buffer | null;
  /**
   * The body parsed as JSON, once for every plugin (parsed again only when a plugin replaced
   * `body`); undefined when there is none or it is not JSON. Shared: read it, never change it.
   */
  jsonBody(): unknown;
  /** Path captures of a regex route (for templates). */
  readonly uriCaptures: { unnamed: string[]; named: Record<string, string> };
  /** Set by auth plugins. */
  consumer: Consumer | null;
  credential: Entity | null;
  consumerGroups: ConsumerGroup[];
  /** The route runs an auth plugin (key-auth, ai-mcp-oauth2, …). */
  authRequired: boolean;
  /**
   * An auth plugin accepted this request (a credential, a valid token, or the configured
   * anonymous consumer). A CORS preflight an auth plugin let through is not accepted: plugins
   * that add credentials must not decorate it (see plugins/auth-common.ts).
   */
  authenticated: boolean;
  /**
   * The consumer is an auth plugin's `anonymous` one: no credential was accepted. Enough for
   * the route whose plugin chose it; never authentication for another route (listeners).
   */
  anonymous: boolean;
  /** A different upstream than the service (ai-proxy-advanced): full origin + path. */
  upstreamOverride: { url: URL; tlsVerify: boolean; timeoutMs?: number } | null;
  /**
   * Kong's kong.ctx.shared: what configuration may read and write (datakit properties,
   * transformer templates). Never the gateway's own state: that goes in `slots`.
   */
  readonly shared: Record<string, unknown>;
  /** State plugins and modules hand each other in this request, by typed slot (./slots.ts). */
  readonly slots: SlotValues;
  /**
   * Headers an access-phase plugin adds to the response, whether it comes from the upstream or
   * from an exit (Kong's kong.response.set_header in access): rate-limiting's counters.
   */
  readonly responseHeaders: HeaderMap;
  /**
   * What a plugin adds to this request's analytics: `fields` go into its record; `entries`, when
   * a plugin saw several messages in one request (MCP: a batch, an SSE stream), make one record
   * each (the request's record plus the entry). Filled in by the log phase at the latest.
   */
  readonly analytics: AnalyticsFields;
  /**
   * Fires when the client goes away before its answer is out: work a plugin does on its behalf
   * (requests the gateway makes for it) can stop.
   */
  readonly clientLeft: ClientLeft;
  /** Answer now; plugins with lower priority and the upstream are skipped. */
  exit(status: number, body?: unknown, headers?: HeaderMap): never;
  /** Answer now with a body still being written (StreamedExit). */
  exitStream(
    status: number,
    headers: HeaderMap,
    body: NodeJS.ReadableStream & { destroy(err?: Error): void },
  ): never;
  /** Kong's kong.response.error: exit with `{"message","request_id"}` (data-plane/errors.ts). */
  error(status: number, message?: string, headers?: HeaderMap): never;
}

/** What a handler's `create` returns for one configured plugin: its phases and needs. */
export interface PluginHooks {
  /** The access phase reads the request body. */
  readonly needsRequestBody?: boolean;
  /** An auth plugin: its presence on a route makes `authRequired` true. */
  readonly authenticates?: boolean;
  /**
   * Reads or rewrites upstream response bodies: the gateway then asks for and decodes identity
   * content coding (proxy/content-coding.ts).
   */
  readonly inspectsResponse?: boolean;
  /** Access phase (may `ctx.exit`). */
  access?(ctx: RequestContextApi): void | Promise<void>;
  /**
   * After every access-phase plugin, before the upstream call: a last look at the request as it
   * will be sent (may `ctx.exit`). For plugins whose judgement a later plugin could undo.
   */
  beforeUpstream?(ctx: RequestContextApi): void;
  /** Before response headers go out (upstream responses and gateway exits alike). */
  headerFilter?(ctx: RequestContextApi, res: ResponseState): void;
  /** True when this plugin must see the whole response body (it is buffered then). */
  wantsResponseBody?(ctx: RequestContextApi, res: ResponseState): boolean;
  transformBody?(ctx: RequestContextApi, res: ResponseState, body: Buffer): Buffer;
  /**
   * A streaming body filter for this response (e.g. an SSE stream inspected event by event),
   * or null. Chunks flow through it as they arrive; nothing waits for the end. Unless the head
   * was flushed (event streams, unbuffered routes), it goes out with the filtered body's first
   * byte: until then the filter may still set `res.status` (a refusal instead of the answer).
   */
  streamFilter?(ctx: RequestContextApi, res: ResponseState): import('node:stream').Transform | null;
  /** After the response; never delays it. */
  log?(ctx: RequestContextApi, res: ResponseState, figures: RequestFigures): void;
}

/** What a request cost, as the log phase knows it (Kong's serializer: latencies, sizes). */
export interface RequestFigures {
  /** From the request's arrival to the response's end (Kong's `latencies.request`). */
  totalMs: number;
  /** The upstream's part (Kong's `latencies.proxy`), null when none was asked. */
  upstreamMs: number | null;
  /** The gateway's own part (Kong's `latencies.kong`). */
  gatewayMs: number;
  requestBytes: number;
  responseBytes: number;
}

/** A configured plugin, compiled: its hooks plus name and priority from its definition. */
export interface PluginInstance extends PluginHooks {
  readonly name: string;
  readonly priority: number;
  readonly entity: Entity;
}

export interface CompileEnv {
  /** Environment for `{vault://env/NAME}` references. */
  env: NodeJS.ProcessEnv;
  consumers: Map<string, Consumer>;
  consumersByUsername: Map<string, Consumer>;
  consumersByCustomId: Map<string, Consumer>;
  groupsByName: Map<string, ConsumerGroup>;
  /** A plugin-owned entity by its cache key (`lookup('keyauth_credentials', key)`). */
  lookup(entity: string, ...cacheKey: string[]): Entity | undefined;
  /** Every row of a plugin-owned entity in the snapshot (an ACL plugin indexes its groups). */
  rows(entity: string): readonly Entity[];
  groupsOfConsumer: Map<string, ConsumerGroup[]>;
  /** What outlives this snapshot: process-wide plugin state, reports, the CP's pushed state. */
  runtime: PluginRuntime;
  /** Every plugin entity of the snapshot (a listener gathers the tools of tagged plugins). */
  pluginEntities: readonly Entity[];
  routes: Map<string, Route>;
  services: Map<string, Service>;
  /** Requests the gateway makes itself on a route, through that route's plugins. */
  routeCaller: import('./route-caller').RouteCaller;
}

/** A proxying process's services for plugins, beyond one snapshot (runtime/plugin-runtime.ts). */
export interface PluginRuntime {
  /** One value per key for the process's lifetime, made by `init` on first use. */
  keep<T>(slot: Slot<T>, init: () => T): T;
  /**
   * A report for the control plane, sent with the analytics batches under `kind`. False: it
   * could not be kept (too large, the disk bound reached), so the control plane will not learn it.
   */
  report(kind: string, data: unknown): boolean;
  /** The latest state the control plane pushed under `kind` (undefined before any). */
  clusterState(kind: string): unknown;
  /** Run when the process stops serving (connections a plugin keeps, closed). */
  onClose(fn: () => Promise<void> | void): void;
  /** This process's Prometheus registry (served on /metrics). */
  readonly metrics: import('prom-client').Registry;
}

export interface PluginHandler {
  name: string;
  /** Compile one configured plugin (config already validated, defaults filled). */
  create(entity: Entity, env: CompileEnv): PluginInstance;
}

/**
 * A plugin's data-plane half (`plugins/<name>/handler.ts`): `create` gets the typed config once
 * per snapshot and returns the hooks; name and priority come from the definition.
 */
export function defineHandler<S extends TObject>(
  definition: PluginDefinition<S>,
  create: (config: Static<S>, env: CompileEnv, entity: Entity) => PluginHooks,
): PluginHandler {
  return {
    name: definition.name,
    create(entity, env) {
      const hooks = create(entity.config as Static<S>, env, entity);
      return Object.assign(hooks, { name: definition.name, priority: definition.priority, entity });
    },
  };
}
