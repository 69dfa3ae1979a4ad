import { InitialSchema1763800000000 } from './1763800000000-initial-schema';
import { ClusteringDataPlanes1763800000001 } from './1763800000001-clustering-data-planes';
import { Analytics1763800000002 } from './1763800000002-analytics';
import { AnalyticsDeadLetters1763800000003 } from './1763800000003-analytics-dead-letters';
import { DataPlaneAnalyticsBacklog1763800000004 } from './1763800000004-data-plane-analytics-backlog';
import { McpTools1763800000005 } from './1763800000005-mcp-tools';
import { AnalyticsMcpEra1763800000006 } from './1763800000006-analytics-mcp-era';
import { UpstreamsTargets1763800000007 } from './1763800000007-upstreams-targets';
import { Certificates1763800000008 } from './1763800000008-certificates';
import { Vaults1763800000009 } from './1763800000009-vaults';
import { Keys1763800000010 } from './1763800000010-keys';

/** Every migration, in order; applied on control-plane start (never `synchronize`). */
export const migrations = [
  InitialSchema1763800000000,
  ClusteringDataPlanes1763800000001,
  Analytics1763800000002,
  AnalyticsDeadLetters1763800000003,
  DataPlaneAnalyticsBacklog1763800000004,
  McpTools1763800000005,
  AnalyticsMcpEra1763800000006,
  UpstreamsTargets1763800000007,
  Certificates1763800000008,
  Vaults1763800000009,
  Keys1763800000010,
];
