import type { RouteLocationNormalizedLoaded } from 'vue-router';
import { ENTITY_TYPES } from './plugin-routes';

// ?entity_type=services|routes|consumers|consumer_groups&entity_id=<uuid>
// (Kong Manager uses service_id/route_id/... in entity_type; both are accepted here)
const LEGACY: Record<string, string> = {
  service_id: 'services',
  route_id: 'routes',
  consumer_id: 'consumers',
  consumer_group_id: 'consumer_groups',
};

export const scopeFromRoute = (route: RouteLocationNormalizedLoaded) => {
  const raw = (route.query.entity_type as string) ?? '';
  const t = LEGACY[raw] ?? raw;
  const entityType = (ENTITY_TYPES as readonly string[]).includes(t)
    ? (t as (typeof ENTITY_TYPES)[number])
    : undefined;
  const entityId = entityType ? ((route.query.entity_id as string) ?? '') : '';
  return { entityType, entityId: entityId || undefined };
};
