import type { RouteLocationRaw } from 'vue-router';
import type { FilterSchema } from '@kong-ui-public/entities-shared';

// Route builders shared by the plugin pages (kept free of entities-plugins imports
// so that importing this file does not pull the heavy package).
type PluginRow = { id: string; name: string };

export const queryFor = (entityType?: string, entityId?: string): Record<string, string> =>
  entityType && entityId ? { entity_type: entityType, entity_id: entityId } : {};

export const pluginRoutes = (query: Record<string, string>) => ({
  createRoute: { name: 'plugin-select', query } as RouteLocationRaw,
  getViewRoute: (p: PluginRow): RouteLocationRaw => ({
    name: 'plugin-detail',
    params: { pluginType: p.name, id: p.id },
    query,
  }),
  getEditRoute: (p: PluginRow): RouteLocationRaw => ({
    name: 'plugin-edit',
    params: { pluginType: p.name, id: p.id },
    query,
  }),
  // required by the PluginList validator (dynamic ordering is Enterprise-only; point it at the detail page)
  getConfigureDynamicOrderingRoute: (p: PluginRow): RouteLocationRaw => ({
    name: 'plugin-detail',
    params: { pluginType: p.name, id: p.id },
    query,
  }),
  getScopedEntityViewRoute: (type: string, id: string): RouteLocationRaw => {
    const name =
      {
        service: 'service-detail',
        route: 'route-detail',
        consumer: 'consumer-detail',
        consumer_group: 'consumer-group-detail',
      }[type] ?? 'service-detail';
    return { name, params: { id } };
  },
});

export const pluginFilterSchema: FilterSchema = {
  name: { type: 'text' },
  enabled: { type: 'select', values: ['true', 'false'] },
  instanceName: { type: 'text' },
};

export const ENTITY_TYPES = ['services', 'routes', 'consumers', 'consumer_groups'] as const;
