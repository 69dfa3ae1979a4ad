/**
 * The data plane's side of the cluster link: connect, say hello, apply snapshots, ack, and
 * reconnect forever with jittered backoff. It never stops the data plane from serving.
 */
import { hostname } from 'node:os';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';

/** On the thread pool: a large snapshot never stalls the proxy's event loop while it inflates. */
const inflate = promisify(gunzip);
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import {
  CLUSTER_PROTOCOL_VERSION,
  HEARTBEAT_INTERVAL_MS,
  MAX_FRAME_BYTES,
  OUTLET_PATH,
  parseControlPlaneMessage,
  type DataPlaneMessage,
  type SyncStatus,
} from '../../shared/cluster/protocol';
import { decodeSnapshotText, type Snapshot } from '../../shared/snapshot';
import { TOLLGATE_VERSION } from '../../shared/version';
import type { AnalyticsBacklog, PluginInfo, TargetHealthReport } from '../../shared/cluster/protocol';

export interface CpLinkOptions {
  cpUrl: string;
  clusterToken?: string;
  nodeId: string;
  plugins: PluginInfo[];
  /** What is running now (for hello and heartbeats). */
  running: () => { version: number; hash: string };
  /** The analytics spool's backlog, reported with every heartbeat. */
  analyticsBacklog?: () => Promise<AnalyticsBacklog> | AnalyticsBacklog;
  /** Apply a verified snapshot; throw to refuse it (the DP keeps its current config). */
  apply: (snapshot: Snapshot) => Promise<void> | void;
  log?: (line: string) => void;
}

const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 10_000;

export class CpLink extends EventEmitter {
  connected = false;
  private targetHealth: TargetHealthReport | null = null;
  syncStatus: SyncStatus = 'unknown';
  syncReason?: string;
  lastError?: string;
  /** The latest state the control plane pushed for plugins, by kind. */
  readonly pluginStates = new Map<string, { state: unknown; received_at: number }>();
  private ws?: WebSocket;
  private attempt = 0;
  private stopped = false;
  private heartbeat?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  /** Snapshots are applied one at a time; a newer one waiting replaces an older one. */
  private applying = false;
  private pending?: Buffer;

  constructor(private readonly opts: CpLinkOptions) {
    super();
  }

  start() {
    this.connect();
  }

  async stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeat);
    this.ws?.terminate();
  }

  private log(line: string) {
    this.opts.log?.(line);
  }

  private connect() {
    if (this.stopped) return;
    const url = new URL(OUTLET_PATH, this.opts.cpUrl);
    url.searchParams.set('node_id', this.opts.nodeId);
    url.searchParams.set('node_hostname', hostname());
    url.searchParams.set('node_version', TOLLGATE_VERSION);
    const headers: Record<string, string> = {};
    if (this.opts.clusterToken) headers.authorization = `Bearer ${this.opts.clusterToken}`;
    const ws = new WebSocket(url, {
      headers,
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: 10_000,
      perMessageDeflate: false,
      // Over TLS an all-zero mask makes ws skip the XOR pass over every frame (analytics batches
      // are large): masking (RFC 6455 §10.3) keeps intermediaries from reading client bytes as
      // something else, which TLS already does. Plain ws:// keeps a random mask.
      ...(url.protocol === 'wss:' ? { generateMask: (mask: Buffer) => void mask.fill(0) } : {}),
    });
    this.ws = ws;

    ws.on('open', () => {
      this.attempt = 0;
      this.connected = true;
      this.lastError = undefined;
      this.emit('connected');
      const running = this.opts.running();
      this.send({
        type: 'hello',
        protocol: CLUSTER_PROTOCOL_VERSION,
        node_id: this.opts.nodeId,
        hostname: hostname(),
        version: TOLLGATE_VERSION,
        plugins: this.opts.plugins,
        config_version: running.version,
        config_hash: running.hash,
      });
      if (this.targetHealth) this.send({ type: 'target_health', ...this.targetHealth });
      this.heartbeat = setInterval(() => void this.sendHeartbeat(), HEARTBEAT_INTERVAL_MS);
    });
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) this.enqueue(data);
      else this.onControl(data.toString('utf8'));
    });
    ws.on('unexpected-response', (_req, res) => {
      this.lastError = `control plane refused the connection: HTTP ${res.statusCode}`;
      this.log(this.lastError);
    });
    ws.on('error', (err) => {
      this.lastError = err.message;
    });
    ws.on('close', () => {
      clearInterval(this.heartbeat);
      if (this.connected) this.emit('disconnected');
      this.connected = false;
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect() {
    if (this.stopped) return;
    const base = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** this.attempt++);
    // Full jitter within [base/2, base]: DPs restarted together do not reconnect in lockstep.
    const delay = base / 2 + Math.random() * (base / 2);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** The balancers' health, sent now and again after every reconnect. */
  reportTargetHealth(report: TargetHealthReport) {
    this.targetHealth = report;
    this.send({ type: 'target_health', ...report });
  }

  /** A text frame (UTF-8 bytes, or a string). */
  sendText(text: string | Buffer): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(text, { binary: false });
    return true;
  }

  private async sendHeartbeat() {
    const r = this.opts.running();
    let analytics: AnalyticsBacklog | undefined;
    try {
      const s = await this.opts.analyticsBacklog?.();
      if (s)
        analytics = {
          unacked_batches: s.unacked_batches,
          buffered_records: s.buffered_records,
          unacked_bytes: s.unacked_bytes,
          dropped_records: s.dropped_records,
        };
    } catch {
      // A worker that does not answer in time: this heartbeat goes without it.
    }
    this.send({
      type: 'heartbeat',
      config_version: r.version,
      config_hash: r.hash,
      ...(analytics ? { analytics } : {}),
    });
  }

  private send(msg: DataPlaneMessage) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private onControl(text: string) {
    const msg = parseControlPlaneMessage(text, 16 * 1024 * 1024);
    if (!msg) return;
    if (msg.type === 'sync_status') {
      this.syncStatus = msg.status;
      this.syncReason = msg.reason;
      if (msg.status !== 'normal')
        this.log(`control plane reports sync status ${msg.status}: ${msg.reason ?? ''}`);
      this.emit('sync_status', msg);
    } else if (msg.type === 'analytics_ack') {
      this.emit('analytics_ack', msg.batch_id);
    } else if (msg.type === 'plugin_state') {
      this.pluginStates.set(msg.kind, { state: msg.state, received_at: Date.now() });
      this.emit('plugin_state', msg.kind, msg.state);
    } else if (msg.type === 'set_target_health') {
      this.emit('set_target_health', msg.upstream_id, msg.target, msg.healthy, msg.address);
    }
  }

  private enqueue(frame: Buffer) {
    this.pending = frame;
    if (!this.applying) void this.drain();
  }

  private async drain() {
    this.applying = true;
    while (this.pending) {
      const frame = this.pending;
      this.pending = undefined;
      await this.applyFrame(frame);
    }
    this.applying = false;
  }

  private async applyFrame(frame: Buffer) {
    let snap: Snapshot;
    try {
      snap = decodeSnapshotText(
        (await inflate(frame, { maxOutputLength: 512 * 1024 * 1024 })).toString('utf8'),
      );
    } catch (err) {
      this.send({
        type: 'apply_error',
        version: -1,
        hash: '',
        message: `bad snapshot frame: ${(err as Error).message}`,
      });
      return;
    }
    try {
      await this.opts.apply(snap);
      this.send({ type: 'ack', version: snap.version, hash: snap.hash });
    } catch (err) {
      const message = (err as Error).message;
      this.log(`could not apply config version ${snap.version}: ${message}`);
      this.send({ type: 'apply_error', version: snap.version, hash: snap.hash, message });
    }
  }
}
