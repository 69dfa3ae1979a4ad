/**
 * The cluster link between control plane and data planes (WebSocket at `/v1/outlet`).
 *
 * Text frames carry JSON control messages; a binary frame is always a snapshot: gzip of the
 * JSON `{type:"snapshot", version, hash, config}`. The DP authenticates with the cluster token
 * (`Authorization: Bearer …`) on the upgrade request, before any config is sent.
 */
export const CLUSTER_PROTOCOL_VERSION = 1;
export const OUTLET_PATH = '/v1/outlet';

export type SyncStatus =
  'unknown' | 'normal' | 'plugin_set_incompatible' | 'version_incompatible' | 'apply_failed';

export interface PluginInfo {
  name: string;
  version: string;
}

/** DP → CP, first message after the upgrade. */
export interface HelloMessage {
  type: 'hello';
  protocol: number;
  node_id: string;
  hostname: string;
  version: string;
  plugins: PluginInfo[];
  /** What the DP runs now (from its cache or an earlier connection); 0 / '' if nothing. */
  config_version: number;
  config_hash: string;
}

/** DP → CP: a snapshot was applied and is now serving. */
export interface AckMessage {
  type: 'ack';
  version: number;
  hash: string;
}

/** DP → CP: a snapshot could not be applied; the DP keeps serving its previous config. */
export interface ApplyErrorMessage {
  type: 'apply_error';
  version: number;
  hash: string;
  message: string;
}

/** DP → CP, every few seconds: liveness and what is running. */
export interface HeartbeatMessage {
  type: 'heartbeat';
  config_version: number;
  config_hash: string;
}

/** CP → DP: how the CP sees this DP (loud refusal instead of silent starvation). */
export interface SyncStatusMessage {
  type: 'sync_status';
  status: SyncStatus;
  reason?: string;
}

/** CP → DP reply to a heartbeat. */
export interface HeartbeatAckMessage {
  type: 'heartbeat_ack';
}

export type DataPlaneMessage =
  | HelloMessage
  | AckMessage
  | ApplyErrorMessage
  | HeartbeatMessage
  | import('../analytics/record').AnalyticsBatchMessage;
export type ControlPlaneMessage =
  SyncStatusMessage | HeartbeatAckMessage | import('../analytics/record').AnalyticsAckMessage;

/** Decoded content of a binary snapshot frame. */
export interface SnapshotFrame {
  type: 'snapshot';
  version: number;
  hash: string;
  config: import('../snapshot').SnapshotConfig;
}

export const HEARTBEAT_INTERVAL_MS = 5000;
/** A DP silent for this long is considered gone (3 missed heartbeats). */
export const HEARTBEAT_TIMEOUT_MS = 15000;
/** Largest snapshot frame either side accepts (compressed). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Same major, DP minor ≤ CP minor (Kong's rule). */
export function versionCompatible(cp: string, dp: string): { ok: boolean; reason?: string } {
  const [cMaj, cMin] = cp.split('.').map(Number);
  const [dMaj, dMin] = dp.split('.').map(Number);
  if (Number.isNaN(dMaj) || Number.isNaN(dMin) || dMaj !== cMaj || dMin > cMin) {
    return {
      ok: false,
      reason: `data plane version ${dp} is incompatible with control plane version ${cp} (${cMaj}.${cMin}.x or older minors are accepted)`,
    };
  }
  return { ok: true };
}

/** Parse a text frame strictly: JSON object with a string `type`, size-limited. */
export function parseControlMessage<T extends { type: string }>(
  text: string,
  maxBytes = 1024 * 1024,
): T | null {
  if (text.length > maxBytes) return null;
  try {
    const value = JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value) || typeof value.type !== 'string')
      return null;
    return value as T;
  } catch {
    return null;
  }
}
