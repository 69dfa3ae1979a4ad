import type { AnalyticsBacklog, TargetHealthReport } from '../../shared/cluster/protocol';
import type WebSocket from 'ws';
import type { ControlPlaneMessage, HelloMessage, SyncStatus } from '../../shared/cluster/protocol';
import type { BuiltSnapshot } from '../snapshots/snapshot.service';

/**
 * One connected data plane. Sends are serialized per connection; while a frame is still being
 * written, newer snapshots replace the pending one, so a slow DP only ever gets the newest.
 */
export class DataPlaneConnection {
  hello?: HelloMessage;
  status: SyncStatus = 'unknown';
  reason?: string;
  /** Version/hash the DP reports running. */
  runningVersion = 0;
  runningHash = '';
  /** The analytics backlog its last heartbeat reported (null: none reported yet). */
  analyticsBacklog: AnalyticsBacklog | null = null;
  /** Its balancers' health, as it last reported it. */
  targetHealth: TargetHealthReport['upstreams'] | null = null;
  /** Last hash written to the socket (not necessarily applied yet). */
  sentHash = '';
  sentVersion = 0;
  private inFlight = false;
  private pending?: BuiltSnapshot;

  constructor(
    readonly ws: WebSocket,
    readonly nodeId: string,
    readonly ip: string,
  ) {}

  get compatible(): boolean {
    return this.status !== 'plugin_set_incompatible' && this.status !== 'version_incompatible';
  }

  setStatus(status: SyncStatus, reason?: string) {
    const changed = status !== this.status || reason !== this.reason;
    this.status = status;
    this.reason = reason;
    if (changed) this.sendControl({ type: 'sync_status', status, reason });
    return changed;
  }

  sendControl(msg: ControlPlaneMessage) {
    if (this.ws.readyState === 1) this.ws.send(JSON.stringify(msg));
  }

  offer(snapshot: BuiltSnapshot) {
    if (!this.compatible) return;
    if (snapshot.hash === this.runningHash || snapshot.hash === this.sentHash) return;
    if (this.pending && this.pending.version > snapshot.version) return;
    if (snapshot.version < this.sentVersion) return; // never go back to an older snapshot
    this.pending = snapshot;
    this.flush();
  }

  private flush() {
    if (this.inFlight || !this.pending || this.ws.readyState !== 1) return;
    const snap = this.pending;
    this.pending = undefined;
    this.inFlight = true;
    this.sentHash = snap.hash;
    this.sentVersion = snap.version;
    this.ws.send(snap.frame, { binary: true }, () => {
      this.inFlight = false;
      this.flush();
    });
  }
}
