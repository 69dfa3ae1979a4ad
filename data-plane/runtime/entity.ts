/**
 * What a data plane holds of config entities — typed from the schemas that validated them
 * (shared/entities: `Static<typeof schema>`, every field present once defaults are filled) —
 * and the error a snapshot that cannot run raises. `Entity` stays for what no core schema
 * describes: plugin-owned entities (credentials) and a plugin instance's row.
 */
import type { RouteLike } from '../router/router';
import type { Service } from '../../shared/entities/service';
import type { Route } from '../../shared/entities/route';
import type { Consumer } from '../../shared/entities/consumer';
import type { ConsumerGroup } from '../../shared/entities/consumer-group';

export type { Service, Route, Consumer, ConsumerGroup };
export type Entity = Record<string, any>;
export type RouteEntity = RouteLike & Route;

/** A snapshot (or a part of it) this data plane cannot apply: it keeps its last good config. */
export class ApplyError extends Error {}
