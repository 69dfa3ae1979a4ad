import { info } from './gateway-info';
import { ADMIN_API_URL } from './runtime-config';

// The shared part of every Kong Manager config object
// (KongManagerConfig from @kong-ui-public/entities-shared):
//   app: 'kongManager', workspace: '' (no workspace prefix in URLs), apiBaseUrl, gatewayInfo
// Optional: axiosRequestConfig (AxiosRequestConfig merged into the component's axios.create()).
export const baseConfig = () => ({
  app: 'kongManager' as const,
  workspace: '',
  apiBaseUrl: ADMIN_API_URL,
  gatewayInfo: {
    edition: (info.data.edition ?? 'community') as 'community' | 'enterprise',
    version: info.data.version ?? '3.9.0',
  },
});

// Permission callbacks for lists. The packages default canCreate/canDelete/canEdit/
// canRetrieve/canToggle to `async () => true` (canDebug to false); we pass them
// explicitly anyway, as Kong Manager does.
export const allow = async () => true;

// Test hook: every page pushes the events it receives into window.__kuiEvents (nothing is
// shown on the page: the console has no debug output).
export const recordEvent = (page: string, event: string, payload?: unknown) => {
  window.__kuiEvents = window.__kuiEvents ?? [];
  window.__kuiEvents.push({ t: Date.now(), page, event, payload });
};
