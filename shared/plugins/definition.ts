import type { Static, TObject } from '@sinclair/typebox';
import type { EntityDefinition } from '../entities/definition';
import type { FieldError } from '../schema/validator';

export const DEFAULT_PLUGIN_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https'];

/**
 * A plugin as the control plane, the data plane and the CLI all see it: one `schema.ts` per
 * plugin folder (`plugins/<name>/schema.ts`), read by every plane.
 */
export interface PluginDefinition<S extends TObject = TObject> {
  name: string;
  version: string;
  /** Kong's static priority: higher runs first in the access phase. */
  priority: number;
  /** Schema of `config`, with defaults. Handlers receive `Static<typeof schema>`. */
  schema: S;
  /** Default of the plugin entity's `protocols`. */
  protocols?: string[];
  /** It authenticates (sets the consumer): plugins whose guards judge the consumer run after it. */
  authenticates?: boolean;
  /**
   * Access-phase order it needs whatever Kong's `ordering` says (shared/plugins/order-rules.ts):
   * `afterAuthentication` — after every authenticating plugin; `before` — ahead of these
   * plugins. Each with the reason, shown when an `ordering` contradicting it is refused.
   */
  runs?: {
    afterAuthentication?: string;
    before?: { plugin: string; why: string }[];
  };
  /**
   * Plugins that must run on every route this one runs on (enabled, by Kong's precedence: the
   * route's, else its service's, else the global one). A config that would run it without them
   * is refused when written (schema violation), never answered 500 request by request.
   */
  requires?: string[];
  /** Kong's `no_consumer`: may not be scoped to a consumer (auth plugins). */
  noConsumer?: boolean;
  /** May not be scoped to a consumer group. */
  noConsumerGroup?: boolean;
  /**
   * Checks that span several config fields; paths are relative to `config`. May complete the
   * (already validated) config in place, e.g. defaults of polymorphic elements.
   */
  check?: (config: Static<S>) => FieldError[];
  /**
   * What Tollgate's data planes cannot run (a mode, a route type): refused when written, as a
   * schema violation naming the field. A snapshot applies all or nothing, so accepting it would
   * make every data plane refuse every later config until someone deleted the plugin.
   */
  supported?: (config: Static<S>) => FieldError[];
  /**
   * Entities the plugin owns (Kong's `daos.lua`): key-auth's credentials. The Admin API routes,
   * the database table, the snapshot key, decK nesting and data-plane lookups come from them.
   */
  entities?: EntityDefinition[];
}

/** Config type of a plugin definition. */
export type PluginConfig<D> = D extends PluginDefinition<infer S> ? Static<S> : never;

export function definePlugin<S extends TObject>(definition: PluginDefinition<S>): PluginDefinition<S> {
  return definition;
}
