import { targetEntity, upstreamEntity } from '../../../shared/entities';
import { formatHostPort, parseHostPort } from '../../../shared/entities/host-port';
import type { Entity, EntityStore } from '../common/entity-store.service';
import { notFound } from '../common/kong-http-error';
import { isUuid } from '../common/sql';

/** A target of an upstream, by id or by its `host[:port]` (port 8000 when left out); else 404. */
export async function findTarget(
  store: EntityStore,
  upstreamKey: string,
  key: string,
): Promise<{ upstream: Entity; target: Entity }> {
  const upstream = await store.findOrThrow(upstreamEntity, upstreamKey);
  let target: Entity | null = null;
  if (isUuid(key)) target = await store.find(targetEntity, key);
  else {
    const parsed = parseHostPort(decodeURIComponent(key));
    const cacheKey = parsed && `targets:${upstream.id}:${formatHostPort(parsed, 8000)}`;
    const rows = cacheKey
      ? await store.query('SELECT doc FROM targets WHERE cache_key = $1', [cacheKey])
      : [];
    target = rows[0]?.doc ?? null;
  }
  if (!target || target.upstream?.id !== upstream.id) throw notFound();
  return { upstream, target };
}
