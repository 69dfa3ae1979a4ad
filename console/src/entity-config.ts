import { ref } from 'vue';
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

// Test hook: every page pushes the events it receives into window.__kuiEvents
// and the latest one is shown in the header (data-testid="kui-last-event").
export const lastEvent = ref('');
export const recordEvent = (page: string, event: string, payload?: unknown) => {
  window.__kuiEvents = window.__kuiEvents ?? [];
  window.__kuiEvents.push({ t: Date.now(), page, event, payload });
  let summary = '';
  try {
    summary = payload === undefined ? '' : JSON.stringify(payload).slice(0, 200);
  } catch {
    summary = String(payload);
  }
  lastEvent.value = `${page}: ${event} ${summary}`;
  // eslint-disable-next-line no-console
  console.info('[kui-event]', page, event, payload);
};
