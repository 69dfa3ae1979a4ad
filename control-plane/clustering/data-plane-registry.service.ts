import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HEARTBEAT_TIMEOUT_MS, type TargetHealthReport } from '../../shared/cluster/protocol';
import type { DataPlaneConnection } from './data-plane-connection';

/** The registry behind `GET /clustering/data-planes`, shared by every CP replica via Postgres. */
@Injectable()
export class DataPlaneRegistry {
  constructor(private readonly db: DataSource) {}

  async record(conn: DataPlaneConnection, controlPlaneId: string): Promise<void> {
    if (!conn.hello) return;
    const now = Math.floor(Date.now() / 1000);
    await this.db.query(
      `INSERT INTO clustering_data_planes
         (id, hostname, ip, version, config_version, config_hash, last_seen, sync_status, sync_reason, plugins, control_plane_id, updated_at, analytics, target_health)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $7, $12, $13)
       ON CONFLICT (id) DO UPDATE SET hostname = $2, ip = $3, version = $4, config_version = $5, config_hash = $6,
         last_seen = $7, sync_status = $8, sync_reason = $9, plugins = $10, control_plane_id = $11, updated_at = $7,
         analytics = coalesce($12, clustering_data_planes.analytics),
         target_health = coalesce($13, clustering_data_planes.target_health)`,
      [
        conn.nodeId,
        conn.hello.hostname,
        conn.ip,
        conn.hello.version,
        conn.runningVersion,
        conn.runningHash,
        now,
        conn.status,
        conn.reason ?? null,
        JSON.stringify(conn.hello.plugins),
        controlPlaneId,
        conn.analyticsBacklog ? JSON.stringify(conn.analyticsBacklog) : null,
        conn.targetHealth ? JSON.stringify(conn.targetHealth) : null,
      ],
    );
  }

  /** What a data plane last said of its balancers (its row made by its hello). */
  async recordTargetHealth(nodeId: string, upstreams: TargetHealthReport['upstreams']): Promise<void> {
    await this.db.query('UPDATE clustering_data_planes SET target_health = $2 WHERE id = $1', [
      nodeId,
      JSON.stringify(upstreams),
    ]);
  }

  async list(): Promise<Record<string, unknown>[]> {
    const rows = await this.db.query('SELECT * FROM clustering_data_planes ORDER BY id');
    const now = Date.now();
    return rows.map((r: any) => ({
      id: r.id,
      hostname: r.hostname,
      ip: r.ip,
      version: r.version,
      config_version: Number(r.config_version),
      config_hash: r.config_hash,
      last_seen: Number(r.last_seen),
      connected: now - Number(r.last_seen) * 1000 < HEARTBEAT_TIMEOUT_MS,
      sync_status: r.sync_status,
      sync_reason: r.sync_reason,
      plugins: r.plugins,
      control_plane_id: r.control_plane_id,
      analytics: r.analytics ?? null,
      updated_at: Number(r.updated_at),
    }));
  }
}
