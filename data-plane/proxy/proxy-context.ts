import type { ConfigHolder } from '../runtime/config-holder';
import type { ProxyMetrics } from '../status/metrics';
import type { AnalyticsRecord } from '../../shared/analytics/record';
import type { UpstreamPools } from './upstream-pools';

/** What the request path of one data plane shares across requests. */
export interface ProxyContext {
  holder: ConfigHolder;
  pools: UpstreamPools;
  metrics: ProxyMetrics;
  log?: (line: string) => void;
  nodeId?: string;
  /** Where analytics records go (after the response, never on its path). */
  analytics?: (records: AnalyticsRecord[]) => void;
  /** Host names a loopback listener accepts besides loopback ones (TOLLGATE_PROXY_ALLOWED_HOSTS). */
  allowedHosts?: string[];
}
