/**
 * The cluster link between control plane and data planes (WebSocket at `/v1/outlet`).
 *
 * Text frames carry JSON control messages; a binary frame is always a snapshot: gzip of the
 * JSON `{type:"snapshot", version, hash, config}`. The DP authenticates with the cluster token
 * (`Authorization: Bearer …`) on the upgrade request, before any config is sent.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  AnalyticsAckMessageSchema,
  AnalyticsBatchMessageSchema,
  type AnalyticsAckMessage,
  type AnalyticsBatchMessage,
} from '../analytics/record';

export const CLUSTER_PROTOCOL_VERSION = 1;
export const OUTLET_PATH = '/v1/outlet';

const SYNC_STATUSES = [
  'unknown',
  'normal',
  'plugin_set_incompatible',
  'version_incompatible',
  'apply_failed',
] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];

// One schema per message: the type, and the check every received frame passes before it is
// looked at (unknown fields are allowed, so either side may add some).

const PluginInfoSchema = Type.Object({ name: Type.String({ maxLength: 255 }), version: Type.String() });
export type PluginInfo = Static<typeof PluginInfoSchema>;

/** DP → CP, first message after the upgrade. */
export const HelloMessageSchema = Type.Object({
  type: Type.Literal('hello'),
  protocol: Type.Number(),
  node_id: Type.String(),
  hostname: Type.String(),
  version: Type.String({ maxLength: 64 }),
  plugins: Type.Array(PluginInfoSchema, { maxItems: 1000 }),
  /** What the DP runs now (from its cache or an earlier connection); 0 / '' if nothing. */
  config_version: Type.Number(),
  config_hash: Type.String({ maxLength: 64 }),
});
export type HelloMessage = Static<typeof HelloMessageSchema>;

/** DP → CP: a snapshot was applied and is now serving. */
export const AckMessageSchema = Type.Object({
  type: Type.Literal('ack'),
  version: Type.Number(),
  hash: Type.String({ maxLength: 64 }),
});
export type AckMessage = Static<typeof AckMessageSchema>;

/** DP → CP: a snapshot could not be applied; the DP keeps serving its previous config. */
export const ApplyErrorMessageSchema = Type.Object({
  type: Type.Literal('apply_error'),
  version: Type.Number(),
  hash: Type.String({ maxLength: 64 }),
  message: Type.String({ maxLength: 64 * 1024 }),
});
export type ApplyErrorMessage = Static<typeof ApplyErrorMessageSchema>;

/** DP → CP, every few seconds: liveness and what is running. */
/** A data plane's analytics not yet acknowledged by the control plane (its spool). */
export const AnalyticsBacklogSchema = Type.Object({
  unacked_batches: Type.Number({ minimum: 0 }),
  buffered_records: Type.Number({ minimum: 0 }),
  unacked_bytes: Type.Number({ minimum: 0 }),
  dropped_records: Type.Number({ minimum: 0 }),
});
export type AnalyticsBacklog = Static<typeof AnalyticsBacklogSchema>;

export const HeartbeatMessageSchema = Type.Object({
  type: Type.Literal('heartbeat'),
  config_version: Type.Number(),
  config_hash: Type.String({ maxLength: 64 }),
  analytics: Type.Optional(AnalyticsBacklogSchema),
});
export type HeartbeatMessage = Static<typeof HeartbeatMessageSchema>;

/** CP → DP: how the CP sees this DP (loud refusal instead of silent starvation). */
export const SyncStatusMessageSchema = Type.Object({
  type: Type.Literal('sync_status'),
  status: Type.Union(SYNC_STATUSES.map((s) => Type.Literal(s))),
  reason: Type.Optional(Type.String()),
});
export type SyncStatusMessage = Static<typeof SyncStatusMessageSchema>;

/**
 * CP → DP: state the control plane keeps for plugins, by kind (`mcp_tools`: the tools held for
 * approval); each message replaces the previous state of its kind. The plugin checks its shape.
 */
export const PluginStateMessageSchema = Type.Object({
  type: Type.Literal('plugin_state'),
  kind: Type.String({ minLength: 1, maxLength: 64 }),
  state: Type.Unknown(),
});
export type PluginStateMessage = Static<typeof PluginStateMessageSchema>;

const HealthName = Type.Union([
  Type.Literal('HEALTHY'),
  Type.Literal('UNHEALTHY'),
  Type.Literal('HEALTHCHECKS_OFF'),
  Type.Literal('DNS_ERROR'),
]);

/** One address a target resolved to (Kong's `/health` `data.addresses[]`). */
export const AddressHealthSchema = Type.Object({
  ip: Type.String({ maxLength: 64 }),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  weight: Type.Integer({ minimum: 0, maximum: 65535 }),
  health: HealthName,
});
export type AddressHealth = Static<typeof AddressHealthSchema>;

/**
 * DP → CP: the health of this node's balancers, sent when it changes: per upstream id, whether
 * the balancer has a healthy target (`healthy`), whether health checks run (`checked`), each
 * target's (`host:port`) health as Kong's `/upstreams/{u}/health` names it and, since targets
 * resolve through DNS, the addresses each target resolved to (`addresses`, optional: data
 * planes older than DNS expansion send none).
 */
export const TargetHealthMessageSchema = Type.Object({
  type: Type.Literal('target_health'),
  upstreams: Type.Record(
    Type.String({ maxLength: 64 }),
    Type.Object({
      healthy: Type.Boolean(),
      checked: Type.Boolean(),
      targets: Type.Record(Type.String({ maxLength: 300 }), HealthName),
      addresses: Type.Optional(
        Type.Record(
          Type.String({ maxLength: 300 }),
          Type.Object({
            dns: Type.String({ maxLength: 16 }),
            list: Type.Array(AddressHealthSchema, { maxItems: 1024 }),
          }),
        ),
      ),
    }),
  ),
});
export type TargetHealthMessage = Static<typeof TargetHealthMessageSchema>;
export type TargetHealthReport = Pick<TargetHealthMessage, 'upstreams'>;

/**
 * CP → DP: a target marked healthy or unhealthy by hand (Kong's
 * `PUT /upstreams/{u}/targets/{t}/healthy|unhealthy`); health checks may change it again.
 */
export const SetTargetHealthMessageSchema = Type.Object({
  type: Type.Literal('set_target_health'),
  upstream_id: Type.String({ maxLength: 64 }),
  target: Type.String({ maxLength: 300 }),
  /** One address of the target (`ip:port`); absent: every address it resolved to. */
  address: Type.Optional(Type.String({ maxLength: 300 })),
  healthy: Type.Boolean(),
});
export type SetTargetHealthMessage = Static<typeof SetTargetHealthMessageSchema>;

/** CP → DP reply to a heartbeat. */
export const HeartbeatAckMessageSchema = Type.Object({ type: Type.Literal('heartbeat_ack') });
export type HeartbeatAckMessage = Static<typeof HeartbeatAckMessageSchema>;

export type DataPlaneMessage =
  | HelloMessage
  | AckMessage
  | ApplyErrorMessage
  | HeartbeatMessage
  | AnalyticsBatchMessage
  | TargetHealthMessage;
export type ControlPlaneMessage =
  SyncStatusMessage | HeartbeatAckMessage | AnalyticsAckMessage | PluginStateMessage | SetTargetHealthMessage;

const DATA_PLANE_MESSAGES = new Map<string, ReturnType<typeof TypeCompiler.Compile>>([
  ['hello', TypeCompiler.Compile(HelloMessageSchema)],
  ['ack', TypeCompiler.Compile(AckMessageSchema)],
  ['apply_error', TypeCompiler.Compile(ApplyErrorMessageSchema)],
  ['heartbeat', TypeCompiler.Compile(HeartbeatMessageSchema)],
  ['analytics', TypeCompiler.Compile(AnalyticsBatchMessageSchema)],
  ['target_health', TypeCompiler.Compile(TargetHealthMessageSchema)],
]);
const CONTROL_PLANE_MESSAGES = new Map<string, ReturnType<typeof TypeCompiler.Compile>>([
  ['sync_status', TypeCompiler.Compile(SyncStatusMessageSchema)],
  ['heartbeat_ack', TypeCompiler.Compile(HeartbeatAckMessageSchema)],
  ['analytics_ack', TypeCompiler.Compile(AnalyticsAckMessageSchema)],
  ['plugin_state', TypeCompiler.Compile(PluginStateMessageSchema)],
  ['set_target_health', TypeCompiler.Compile(SetTargetHealthMessageSchema)],
]);

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

/** A text frame as a message of one of `schemas`, or null (not JSON, unknown type, wrong shape). */
function parseMessage<T>(
  text: string,
  schemas: Map<string, ReturnType<typeof TypeCompiler.Compile>>,
  maxBytes: number,
): T | null {
  if (text.length > maxBytes) return null;
  let value: any;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const check = typeof value.type === 'string' ? schemas.get(value.type) : undefined;
  return check?.Check(value) ? (value as T) : null;
}

/** What a control plane accepts from a data plane. */
export const parseDataPlaneMessage = (text: string, maxBytes = 1024 * 1024) =>
  parseMessage<DataPlaneMessage>(text, DATA_PLANE_MESSAGES, maxBytes);

/** What a data plane accepts from its control plane. */
export const parseControlPlaneMessage = (text: string, maxBytes = 1024 * 1024) =>
  parseMessage<ControlPlaneMessage>(text, CONTROL_PLANE_MESSAGES, maxBytes);
