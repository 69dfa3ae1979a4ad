/** What a data plane holds of a config entity, and the error a snapshot that cannot run raises. */
import type { RouteLike } from '../router/router';

export type Entity = Record<string, any>;
export type RouteEntity = RouteLike & Entity;

/** A snapshot (or a part of it) this data plane cannot apply: it keeps its last good config. */
export class ApplyError extends Error {}
