import type { ConfigHolder } from '../runtime/config-holder';
import type { ProxyMetrics } from '../status/metrics';
import type { AnalyticsRecord } from '../../shared/analytics/record';
import type { UpstreamPools } from './upstream-pools';
import type { LogFile } from '../../shared/logs/log-file';

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
  /** Kong's access and error logs (TOLLGATE_PROXY_ACCESS_LOG / _ERROR_LOG; null: off). */
  accessLog?: LogFile | null;
  errorLog?: LogFile | null;
}
