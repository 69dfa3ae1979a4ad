/**
 * A plugin's control-plane half (`plugins/<name>/control-plane/index.ts`, optional): what the
 * plugin owns on the control plane beyond its schema — Kong's `daos`, `api` and `migrations`.
 *
 * - `module`: a NestJS module with its Admin API controllers and services. It may use the
 *   extension points (`control-plane/plugin-api.ts`): cluster reports and state
 *   (ClusterExtensions), `/metrics` (ControlPlaneMetrics), the entity store, config versions.
 * - `migrations`: its tables, in order, applied after the core's migrations and tracked per
 *   plugin (plugin-migrations.ts), as Kong tracks each plugin's migrations.
 */
import type { Type } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';

export interface PluginMigration {
  /** Unique within the plugin, never renamed once released (it is what is recorded). */
  name: string;
  up(q: QueryRunner): Promise<void>;
}

export interface PluginControlPlane {
  /** The plugin's name (its folder in plugins/). */
  name: string;
  module?: Type<unknown>;
  migrations?: readonly PluginMigration[];
}

export function definePluginControlPlane(def: PluginControlPlane): PluginControlPlane {
  return def;
}
