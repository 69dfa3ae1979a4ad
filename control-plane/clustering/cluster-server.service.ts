import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import { hostNamesFor, requestHostRefusal, type HostNames } from '../../shared/http/host-names';
import { formatListen } from '../../shared/listen';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  MAX_FRAME_BYTES,
  OUTLET_PATH,
  parseDataPlaneMessage,
  versionCompatible,
  type ControlPlaneMessage,
  type DataPlaneMessage,
  type HelloMessage,
} from '../../shared/cluster/protocol';
import { TOLLGATE_VERSION } from '../../shared/version';
import { tokenMatches } from '../admin/admin-http';
import { ConfigVersions } from '../snapshots/config-versions.service';
import { SnapshotService, type BuiltSnapshot } from '../snapshots/snapshot.service';
import { NODE_ID } from '../node-id';
import { CP_OPTIONS, type ControlPlaneOptions } from '../options';
import { ConfigChangeListener } from './config-change-listener';
import { DataPlaneConnection } from './data-plane-connection';
import { DataPlaneRegistry } from './data-plane-registry.service';
import { AnalyticsIngest } from '../analytics/ingest.service';
import { ClusterExtensions } from '../plugins/cluster-extensions';
import {
  MAX_BATCH_BYTES,
  MAX_BATCH_RECORDS,
  type AnalyticsBatchMessage,
} from '../../shared/analytics/record';

/**
 * The cluster listener (`/v1/outlet`): authenticates data planes, pushes every new config
 * version to all of them at once (bursts coalesced, one snapshot build per version), and keeps
 * the data-plane registry current.
 */
@Injectable()
export class ClusterServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Cluster');
  private server?: Server;
  private wss?: WebSocketServer;
  private listener?: ConfigChangeListener;
  private readonly connections = new Map<string, DataPlaneConnection>();
  private pushing = false;
  private dirty = false;
  private latest?: BuiltSnapshot;
  port = 0;

  constructor(
    @Inject(CP_OPTIONS) private readonly options: ControlPlaneOptions,
    @Inject(NODE_ID) private readonly nodeId: string,
    private readonly versions: ConfigVersions,
    private readonly snapshots: SnapshotService,
    private readonly registry: DataPlaneRegistry,
    private readonly analytics: AnalyticsIngest,
    private readonly extensions: ClusterExtensions,
  ) {}

  /** Plugins' state (by kind) for a data plane that said hello. */
  private sendPluginStates(conn: DataPlaneConnection) {
    for (const [kind, state] of this.extensions.currentStates())
      conn.sendControl({ type: 'plugin_state', kind, state });
  }

  private hosts: HostNames | null = null;

  async onApplicationBootstrap() {
    this.hosts = hostNamesFor(this.options.clusterListen.host, this.options.allowedHosts ?? []);
    if (!this.options.clusterToken && !this.options.adminToken)
      this.log.warn(
        `the cluster listener (${formatListen(this.options.clusterListen)}) takes no token: any local process ` +
          'can connect as a data plane and read the whole config, every credential included, and send ' +
          'analytics. Set TOLLGATE_CLUSTER_TOKEN (and the same on every data plane).',
      );
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
    this.server = createServer((req, res) => {
      const misdirected = requestHostRefusal(this.hosts, req);
      if (misdirected)
        return res
          .writeHead(421, { 'content-type': 'application/json', connection: 'close' })
          .end(JSON.stringify({ message: `Misdirected request: ${misdirected}` }));
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not found"}');
    });
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.clusterListen.port, this.options.clusterListen.host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.versions.events.on('version', () => this.schedulePush());
    this.extensions.events.on('state', (kind: string, state: unknown) =>
      this.broadcast({ type: 'plugin_state', kind, state }),
    );
    if (this.options.databaseUrl) {
      this.listener = new ConfigChangeListener(
        this.options.databaseUrl,
        () => this.schedulePush(),
        (l) => this.log.warn(l),
      );
      this.listener.start();
    }
  }

  async onApplicationShutdown() {
    await this.listener?.stop();
    for (const c of this.connections.values()) c.ws.terminate();
    this.wss?.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private reject(socket: Socket, status: number, message: string) {
    const body = JSON.stringify({ message });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer) {
    // A rebinding DNS name, or any browser (browsers always send Origin on a WebSocket; data
    // planes never do), is refused before the token is even looked at.
    const misdirected = requestHostRefusal(this.hosts, req);
    if (misdirected) return this.reject(socket, 421, `Misdirected request: ${misdirected}`);
    if (req.headers.origin !== undefined || req.headers['sec-fetch-site'] !== undefined)
      return this.reject(socket, 403, 'Forbidden: browsers may not connect to the cluster listener');
    const url = new URL(req.url ?? '/', 'http://cluster');
    if (url.pathname !== OUTLET_PATH) return this.reject(socket, 404, 'Not found');
    // The token is checked before the WebSocket exists: a wrong token never sees any config.
    // The listener hands out every credential of the config and takes analytics: whenever the
    // Admin API needs a token, so does it (the admin token itself if no cluster token is set).
    const token = this.options.clusterToken || this.options.adminToken;
    if (token) {
      const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
      if (!m || !tokenMatches(m[1].trim(), token)) return this.reject(socket, 401, 'Unauthorized');
    }
    const nodeId = url.searchParams.get('node_id') ?? '';
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(nodeId)) {
      return this.reject(socket, 400, 'node_id must be a UUID');
    }
    this.wss!.handleUpgrade(req, socket, head, (ws) =>
      this.accept(ws, nodeId, req.socket.remoteAddress ?? ''),
    );
  }

  /** A control message to every data plane connected to this replica. */
  broadcast(msg: ControlPlaneMessage) {
    for (const c of this.connections.values()) if (c.hello) c.sendControl(msg);
  }

  private accept(ws: WebSocket, nodeId: string, ip: string) {
    const conn = new DataPlaneConnection(ws, nodeId, ip);
    const previous = this.connections.get(nodeId);
    if (previous) previous.ws.terminate();
    this.connections.set(nodeId, conn);
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return;
      const msg = parseDataPlaneMessage(data.toString('utf8'), MAX_BATCH_BYTES);
      if (msg)
        this.onMessage(conn, msg).catch((err) => this.log.error(`data plane ${nodeId}: ${err.message}`));
    });
    ws.on('close', () => {
      if (this.connections.get(nodeId) === conn) this.connections.delete(nodeId);
    });
    ws.on('error', () => undefined);
  }

  private async onMessage(conn: DataPlaneConnection, msg: DataPlaneMessage) {
    switch (msg.type) {
      case 'hello':
        return this.onHello(conn, msg);
      case 'ack':
        conn.runningVersion = msg.version;
        conn.runningHash = msg.hash;
        if (conn.status === 'apply_failed' || conn.status === 'unknown') conn.setStatus('normal');
        return this.registry.record(conn, this.nodeId);
      case 'apply_error':
        conn.setStatus('apply_failed', msg.message);
        this.log.warn(`data plane ${conn.nodeId} could not apply version ${msg.version}: ${msg.message}`);
        return this.registry.record(conn, this.nodeId);
      case 'analytics':
        return this.onAnalytics(conn, msg);
      case 'target_health':
        conn.targetHealth = msg.upstreams;
        // Only its own column: a whole-row write here could race an ack's and put back an
        // older config hash. Before its hello the row does not exist: the hello's record writes it.
        if (conn.hello) await this.registry.recordTargetHealth(conn.nodeId, msg.upstreams);
        return;
      case 'heartbeat':
        conn.runningVersion = msg.config_version;
        conn.runningHash = msg.config_hash;
        conn.analyticsBacklog = msg.analytics ?? null;
        conn.sendControl({ type: 'heartbeat_ack' });
        return this.registry.record(conn, this.nodeId);
    }
  }

  /** Acknowledged only once committed; a failed store is not acked, so the DP sends it again. */
  private async onAnalytics(conn: DataPlaneConnection, msg: AnalyticsBatchMessage) {
    if (!conn.hello) return;
    if (msg.records.length > MAX_BATCH_RECORDS * 10) {
      this.log.warn(`data plane ${conn.nodeId}: analytics batch ${msg.batch_id} too large, refused`);
      return;
    }
    const dropped = Number.isInteger(msg.dropped) && msg.dropped! > 0 ? msg.dropped! : 0;
    await this.analytics.ingest(conn.nodeId, msg.batch_id, msg.records, dropped);
    await this.extensions.report(conn.nodeId, msg.reports);
    conn.sendControl({ type: 'analytics_ack', batch_id: msg.batch_id });
  }

  private async onHello(conn: DataPlaneConnection, hello: HelloMessage) {
    // The shape is checked on arrival (shared/cluster/protocol.ts).
    conn.hello = { ...hello, hostname: hello.hostname.slice(0, 255) };
    conn.runningVersion = hello.config_version || 0;
    conn.runningHash = hello.config_hash;
    const version = versionCompatible(TOLLGATE_VERSION, hello.version);
    const snapshot = await this.snapshots.current();
    this.latest = snapshot;
    if (!version.ok) {
      conn.setStatus('version_incompatible', version.reason);
      this.log.warn(`data plane ${conn.nodeId}: ${version.reason}`);
    } else this.checkPlugins(conn, snapshot);
    await this.registry.record(conn, this.nodeId);
    conn.offer(snapshot);
    this.sendPluginStates(conn);
  }

  /** A DP that lacks a configured plugin is told so, and keeps its last good config. */
  private checkPlugins(conn: DataPlaneConnection, snapshot: BuiltSnapshot) {
    if (!conn.hello || conn.status === 'version_incompatible') return;
    const have = new Set(conn.hello.plugins.map((p) => p.name));
    const missing = [...new Set(snapshot.config.plugins.map((p) => p.name))]
      .filter((n) => !have.has(n))
      .sort();
    if (missing.length) {
      const reason = missing.map((n) => `configured ${n} plugin is missing from data plane`).join('; ');
      if (conn.setStatus('plugin_set_incompatible', reason))
        this.log.warn(`data plane ${conn.nodeId}: ${reason}`);
    } else if (conn.status === 'plugin_set_incompatible' || conn.status === 'unknown') {
      conn.setStatus(conn.runningHash === snapshot.hash ? 'normal' : 'unknown');
    }
  }

  /** Coalesce bursts: while a push runs, further versions just mark it dirty. */
  schedulePush() {
    // Nobody to push to: the next DP to connect gets a snapshot built for it.
    if (![...this.connections.values()].some((c) => c.hello)) return;
    if (this.pushing) {
      this.dirty = true;
      return;
    }
    this.pushing = true;
    void (async () => {
      try {
        do {
          this.dirty = false;
          const snapshot = await this.snapshots.current();
          if (this.latest && snapshot.version < this.latest.version) continue;
          this.latest = snapshot;
          for (const conn of this.connections.values()) {
            if (!conn.hello) continue;
            const before = conn.status;
            this.checkPlugins(conn, snapshot);
            if (conn.status !== before) void this.registry.record(conn, this.nodeId).catch(() => undefined);
            conn.offer(snapshot);
          }
        } while (this.dirty);
      } catch (err) {
        this.log.error(`config push failed: ${(err as Error).message}`);
      } finally {
        this.pushing = false;
      }
    })();
  }
}
