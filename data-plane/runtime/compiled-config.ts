/**
 * A snapshot compiled for serving: router, plugin chains, lookups by id and key. Built off to
 * the side and swapped in with one assignment (ConfigHolder); never mutated afterwards.
 */
import type { Snapshot } from '../../shared/snapshot';
import { PLUGIN_ENTITIES } from '../../shared/entities';
import { Router } from '../router/router';
import {
  ApplyError,
  type Consumer,
  type ConsumerGroup,
  type Entity,
  type Route,
  type RouteEntity,
  type Service,
} from './entity';
import type { CompileEnv, PluginHandler, PluginRuntime } from './plugin-api';
import { PluginChains } from './plugin-chain';
import { Registry } from 'prom-client';
import { ProcessPluginRuntime } from './plugin-runtime';
import { NO_ROUTE_CALLER, type RouteCaller } from './route-caller';
import type { Balancers, BalancerTable } from '../balancer/balancers';
import { CertificateTable } from './certificates';
import { VaultResolver } from './vault';
import { upstreamTlsOf, type UpstreamTls } from './upstream-tls';

export interface CompiledConfig {
  version: number;
  hash: string;
  router: Router<RouteEntity>;
  services: Map<string, Service>;
  routes: Map<string, Route>;
  consumers: Map<string, Consumer>;
  plugins: PluginChains;
  /** Plugin names used by enabled plugins in this config. */
  pluginNames: Set<string>;
  /** The upstreams' balancers, by upstream name (a service's host names one). */
  balancers: BalancerTable;
  /** Certificates served on the TLS listener, by SNI. */
  certificates: CertificateTable;
  /** Each service's client certificate and trusted CAs, when it has either. */
  upstreamTls: Map<string, UpstreamTls>;
  /** What this config read from vaults (VaultRotation watches it). */
  vaults: VaultResolver;
  snapshot: Snapshot;
}

export interface CompileOptions {
  /** Plugin handlers this data plane can run. */
  handlers: Map<string, PluginHandler>;
  env?: NodeJS.ProcessEnv;
  /** Shared by every config this process compiles (it outlives snapshots). */
  runtime?: PluginRuntime;
  /** Makes the route caller plugins use, given the config being compiled (proxy/route-call.ts). */
  routeCaller?: (config: () => CompiledConfig) => RouteCaller;
  /** The process's balancers (their targets' health outlives configs). */
  balancers?: Balancers;
}

export function compile(snapshot: Snapshot, opts: CompileOptions): CompiledConfig {
  const { config } = snapshot;
  const pluginNames = new Set<string>();
  for (const p of config.plugins) if (p.enabled !== false) pluginNames.add(p.name);
  const missing = [...pluginNames].filter((n) => !opts.handlers.has(n));
  if (missing.length)
    throw new ApplyError(`configured plugins missing from this data plane: ${missing.join(', ')}`);

  const services = new Map(config.services.map((s) => [s.id, s]));
  const routes = new Map(config.routes.map((r) => [r.id, r]));
  const consumers = new Map(config.consumers.map((c) => [c.id, c]));
  const groups = new Map(config.consumer_groups.map((g) => [g.id, g]));
  const groupsOfConsumer = new Map<string, ConsumerGroup[]>();
  for (const m of config.consumer_group_consumers) {
    const g = groups.get(m.consumer_group.id);
    if (!g) continue;
    const list = groupsOfConsumer.get(m.consumer.id) ?? [];
    list.push(g);
    groupsOfConsumer.set(m.consumer.id, list);
  }
  // Kong evaluates a consumer's groups in name order.
  for (const list of groupsOfConsumer.values())
    list.sort((a, b) => String(a.name).localeCompare(String(b.name)));
  // Plugin-owned entities by their cache key (Kong's cache_key), one map per entity.
  const lookups = new Map<string, Map<string, Entity>>();
  for (const def of PLUGIN_ENTITIES) {
    if (!def.cacheKey) continue;
    const fields = def.cacheKey;
    const rows: Entity[] = config[def.name] ?? [];
    // A reference is keyed by its id (an ACL's consumer).
    const part = (e: Entity, f: string) => (e[f] && typeof e[f] === 'object' ? e[f].id : e[f]);
    lookups.set(def.name, new Map(rows.map((e) => [fields.map((f) => part(e, f)).join(':'), e])));
  }
  // Set once compiled: a route call made while serving uses this very snapshot.
  const self: { compiled?: CompiledConfig } = {};
  const env: CompileEnv = {
    env: opts.env ?? process.env,
    consumers,
    consumersByUsername: new Map(config.consumers.flatMap((c) => (c.username ? [[c.username, c]] : []))),
    consumersByCustomId: new Map(config.consumers.flatMap((c) => (c.custom_id ? [[c.custom_id, c]] : []))),
    groupsByName: new Map(config.consumer_groups.map((g) => [g.name, g])),
    lookup: (entity, ...cacheKey) => lookups.get(entity)?.get(cacheKey.join(':')),
    rows: (entity) => (PLUGIN_ENTITIES.some((d) => d.name === entity) ? (config[entity] ?? []) : []),
    groupsOfConsumer,
    runtime: opts.runtime ?? new ProcessPluginRuntime(new Registry()),
    pluginEntities: config.plugins,
    routes,
    services,
    routeCaller: opts.routeCaller ? opts.routeCaller(() => self.compiled!) : NO_ROUTE_CALLER,
  };

  const vaults = new VaultResolver(config, env.env);
  const certificates = new CertificateTable(config, vaults);
  const upstreamTls = upstreamTlsOf(config, certificates);
  let router: Router<RouteEntity>;
  try {
    router = new Router(config.routes as RouteEntity[]);
  } catch (err) {
    throw new ApplyError(`router build failed: ${(err as Error).message}`);
  }
  const plugins = new PluginChains(config.plugins, opts.handlers, env, vaults);
  // Ordering cycles must fail the apply, not a request: check every route now when any
  // plugin uses dynamic ordering.
  if (config.plugins.some((p) => p.ordering)) {
    for (const r of config.routes) plugins.forRoute(r, r.service ? services.get(r.service.id) : undefined);
  }
  self.compiled = {
    version: snapshot.version,
    hash: snapshot.hash,
    router,
    services,
    routes,
    consumers,
    plugins,
    pluginNames,
    balancers: opts.balancers?.compile(config) ?? new Map(),
    certificates,
    upstreamTls,
    vaults,
    snapshot,
  };
  return self.compiled;
}
