import { reactive } from 'vue';
import { adminAxios } from './http';
import { ADMIN_API_URL } from './runtime-config';

// Mirrors Kong Manager's info store: GET <admin>/ once at boot.
// Fields used: version, edition (-> config.gatewayInfo, gates features such as
// GatewayServiceForm tls_sans and RouteForm expressions), configuration.router_flavor
// (-> RouteForm routeFlavors), plugins.enabled_in_cluster (-> which credential
// lists to show). PluginSelect fetches GET / again by itself (available_on_server).
export interface GatewayInfo {
  version?: string;
  edition?: 'community' | 'enterprise';
  configuration?: Record<string, any>;
  plugins?: { available_on_server?: Record<string, any>; enabled_in_cluster?: string[] };
  [k: string]: any;
}

export const info = reactive<{ loaded: boolean; error: string; data: GatewayInfo }>({
  loaded: false,
  error: '',
  data: { edition: 'community' },
});

export const loadGatewayInfo = async (): Promise<void> => {
  info.loaded = false;
  info.error = '';
  try {
    const { data } = await adminAxios.get(`${ADMIN_API_URL}/`, { timeout: 5000 });
    info.data = data ?? {};
  } catch (e: any) {
    info.error = e?.message ?? String(e);
  } finally {
    info.loaded = true;
  }
};
