/**
 * A snapshot compiled for serving: router, lookups by id and key. Built off to the side and
 * swapped in with one assignment (ConfigHolder); never mutated afterwards.
 */
import type { Snapshot } from '../../shared/snapshot';
import { Router, type RouteLike } from '../router/router';

export type Entity = Record<string, any>;
export type RouteEntity = RouteLike & Entity;

export interface CompiledConfig {
  version: number;
  hash: string;
  router: Router<RouteEntity>;
  services: Map<string, Entity>;
  routes: Map<string, Entity>;
  consumers: Map<string, Entity>;
  /** Plugin names used by enabled plugins in this config. */
  pluginNames: Set<string>;
  snapshot: Snapshot;
}

export class ApplyError extends Error {}

export interface CompileOptions {
  /** Plugins this data plane can run. */
  availablePlugins: Set<string>;
}

export function compile(snapshot: Snapshot, opts: CompileOptions): CompiledConfig {
  const { config } = snapshot;
  const pluginNames = new Set<string>();
  for (const p of config.plugins) if (p.enabled !== false) pluginNames.add(p.name);
  const missing = [...pluginNames].filter((n) => !opts.availablePlugins.has(n));
  if (missing.length)
    throw new ApplyError(`configured plugins missing from this data plane: ${missing.join(', ')}`);

  const services = new Map(config.services.map((s) => [s.id, s]));
  const routes = new Map(config.routes.map((r) => [r.id, r]));
  let router: Router<RouteEntity>;
  try {
    router = new Router(config.routes as RouteEntity[]);
  } catch (err) {
    throw new ApplyError(`router build failed: ${(err as Error).message}`);
  }
  return {
    version: snapshot.version,
    hash: snapshot.hash,
    router,
    services,
    routes,
    consumers: new Map(config.consumers.map((c) => [c.id, c])),
    pluginNames,
    snapshot,
  };
}
