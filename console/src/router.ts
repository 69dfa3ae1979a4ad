import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';

// Hash routing: dist/ can be served by any static server (no history fallback needed).
// Every page is a lazy chunk, so the heavy entities-plugins bundle (monaco, vue-flow,
// shiki...) is only loaded by the plugin pages and the detail pages that embed PluginList.
const routes: RouteRecordRaw[] = [
  // Overview: traffic, errors, denied tool calls, held tools and data-plane sync (the last hour)
  { path: '/', name: 'overview', component: () => import('./pages/overview/Overview.vue') },

  // Gateway Services
  { path: '/services', name: 'service-list', component: () => import('./pages/services/List.vue') },
  { path: '/services/create', name: 'service-create', component: () => import('./pages/services/Form.vue') },
  { path: '/services/:id', name: 'service-detail', component: () => import('./pages/services/Detail.vue') },
  { path: '/services/:id/edit', name: 'service-edit', component: () => import('./pages/services/Form.vue') },

  // Routes (?serviceId=<id> scopes list/create to a service)
  { path: '/routes', name: 'route-list', component: () => import('./pages/routes/List.vue') },
  { path: '/routes/create', name: 'route-create', component: () => import('./pages/routes/Form.vue') },
  { path: '/routes/:id', name: 'route-detail', component: () => import('./pages/routes/Detail.vue') },
  { path: '/routes/:id/edit', name: 'route-edit', component: () => import('./pages/routes/Form.vue') },

  // Consumers
  { path: '/consumers', name: 'consumer-list', component: () => import('./pages/consumers/List.vue') },
  {
    path: '/consumers/create',
    name: 'consumer-create',
    component: () => import('./pages/consumers/Form.vue'),
  },
  {
    path: '/consumers/:id',
    name: 'consumer-detail',
    component: () => import('./pages/consumers/Detail.vue'),
  },
  {
    path: '/consumers/:id/edit',
    name: 'consumer-edit',
    component: () => import('./pages/consumers/Form.vue'),
  },
  // Consumer credentials (:plugin = key-auth | basic-auth | acl | hmac-auth | jwt | oauth2 | key-auth-enc)
  {
    path: '/consumers/:id/credentials/:plugin',
    name: 'consumer-credential-list',
    component: () => import('./pages/consumers/CredentialList.vue'),
  },
  {
    path: '/consumers/:id/credentials/:plugin/create',
    name: 'consumer-credential-create',
    component: () => import('./pages/consumers/CredentialForm.vue'),
  },
  {
    path: '/consumers/:id/credentials/:plugin/:credentialId/edit',
    name: 'consumer-credential-edit',
    component: () => import('./pages/consumers/CredentialForm.vue'),
  },

  // Consumer Groups
  {
    path: '/consumer-groups',
    name: 'consumer-group-list',
    component: () => import('./pages/consumer-groups/List.vue'),
  },
  {
    path: '/consumer-groups/create',
    name: 'consumer-group-create',
    component: () => import('./pages/consumer-groups/Form.vue'),
  },
  {
    path: '/consumer-groups/:id',
    name: 'consumer-group-detail',
    component: () => import('./pages/consumer-groups/Detail.vue'),
  },
  {
    path: '/consumer-groups/:id/edit',
    name: 'consumer-group-edit',
    component: () => import('./pages/consumer-groups/Form.vue'),
  },

  // Plugins (?entity_type=services|routes|consumers|consumer_groups&entity_id=<id> scopes them)
  { path: '/plugins', name: 'plugin-list', component: () => import('./pages/plugins/List.vue') },
  { path: '/plugins/select', name: 'plugin-select', component: () => import('./pages/plugins/Select.vue') },
  {
    path: '/plugins/:pluginType/create',
    name: 'plugin-create',
    component: () => import('./pages/plugins/Form.vue'),
  },
  {
    path: '/plugins/:pluginType/:id',
    name: 'plugin-detail',
    component: () => import('./pages/plugins/Detail.vue'),
  },
  {
    path: '/plugins/:pluginType/:id/edit',
    name: 'plugin-edit',
    component: () => import('./pages/plugins/Form.vue'),
  },

  // Data planes (Konnect's "Data Plane Nodes")
  { path: '/data-planes', name: 'data-plane-list', component: () => import('./pages/data-planes/List.vue') },

  // MCP tools: ACL matrix and denied calls per ai-mcp-proxy route
  { path: '/mcp-tools/:routeId?', name: 'mcp-tools', component: () => import('./pages/mcp-tools/Tools.vue') },

  // Analytics: requests, errors and latency over time, top tools/consumers, request log
  { path: '/analytics', name: 'analytics', component: () => import('./pages/analytics/Analytics.vue') },

  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./pages/NotFound.vue') },
];

export const router = createRouter({
  history: createWebHashHistory(),
  routes,
});
