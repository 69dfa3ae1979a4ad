/**
 * Stores analytics batches: the batch id, its raw records and their rollups in one
 * transaction, acknowledged only after commit. A batch id seen before is acknowledged without
 * storing anything again, so a data plane may resend freely (exactly-once storage).
 */
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AnalyticsRecord } from '../../shared/analytics/record';
import { rollup } from './cuboids';
import { validateRecord } from './record-validation';
import { CP_OPTIONS, type ControlPlaneOptions } from '../options';

const DAY = 86_400_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface IngestResult {
  stored: number;
  rejected: number;
  duplicate: boolean;
}

const RECORD_COLUMNS = `ts, request_id, batch_id, node_id, service_id, service_name, route_id, route_name,
  consumer_id, consumer_username, consumer_groups, http_method, path, status, mcp_method, tool, jsonrpc_error,
  mcp_session_id, latency_total_ms, latency_upstream_ms, latency_gateway_ms, request_size, response_size, source, detail`;

@Injectable()
export class AnalyticsIngest implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Analytics');
  private readonly partitions = new Set<string>();
  private retentionTimer?: NodeJS.Timeout;
  readonly retentionDays: number;

  constructor(
    private readonly db: DataSource,
    @Inject(CP_OPTIONS) options: ControlPlaneOptions,
  ) {
    this.retentionDays = options.analyticsRetentionDays ?? 30;
  }

  onModuleInit() {
    void this.applyRetention().catch((err) => this.log.warn(`retention: ${err.message}`));
    this.retentionTimer = setInterval(
      () => void this.applyRetention().catch((err) => this.log.warn(`retention: ${err.message}`)),
      3_600_000,
    );
    this.retentionTimer.unref();
  }

  onModuleDestroy() {
    clearInterval(this.retentionTimer);
  }

  async ingest(nodeId: string, batchId: string, raw: unknown[], dropped = 0): Promise<IngestResult> {
    if (!UUID.test(batchId)) throw new Error('batch_id must be a UUID');
    const now = Date.now();
    const oldest = now - this.retentionDays * DAY;
    const records: AnalyticsRecord[] = [];
    for (const r of raw) {
      const rec = validateRecord(r, nodeId);
      // Outside retention (or a clock far ahead) is refused rather than stored where it would vanish.
      if (rec && rec.ts >= oldest && rec.ts <= now + DAY) records.push(rec);
    }
    const rejected = raw.length - records.length;
    if (rejected)
      this.log.warn(
        `data plane ${nodeId}: ${rejected} malformed or out-of-range records in batch ${batchId}`,
      );
    if (dropped)
      this.log.warn(`data plane ${nodeId} dropped ${dropped} records (its analytics buffers were full)`);
    await this.ensurePartitions(records);
    return this.db.transaction(async (tx) => {
      const fresh = await tx.query(
        `INSERT INTO analytics_batches (batch_id, node_id, records, dropped) VALUES ($1, $2, $3, $4)
         ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id`,
        [batchId, nodeId, records.length, dropped],
      );
      if (!fresh.length) return { stored: 0, rejected, duplicate: true };
      if (!records.length) return { stored: 0, rejected, duplicate: false };
      await tx.query(
        `INSERT INTO analytics_records (${RECORD_COLUMNS})
         SELECT to_timestamp(x.ts / 1000.0), x.request_id, $2::uuid, x.node_id, x.service_id, x.service_name, x.route_id,
           x.route_name, x.consumer_id, x.consumer_username, coalesce(x.consumer_groups, '{}'), x.http_method, x.path,
           x.status, x.mcp_method, x.tool, x.jsonrpc_error, x.mcp_session_id, x.latency_total_ms, x.latency_upstream_ms,
           x.latency_gateway_ms, x.request_size, x.response_size, x.source, x.detail
         FROM jsonb_to_recordset($1::jsonb) AS x(ts double precision, request_id text, node_id text, service_id text,
           service_name text, route_id text, route_name text, consumer_id text, consumer_username text,
           consumer_groups text[], http_method text, path text, status integer, mcp_method text, tool text,
           jsonrpc_error integer, mcp_session_id text, latency_total_ms real, latency_upstream_ms real,
           latency_gateway_ms real, request_size bigint, response_size bigint, source text, detail jsonb)`,
        [JSON.stringify(records), batchId],
      );
      // Appended, not upserted: rows of one key add up at query time and the compactor merges them.
      await tx.query(
        `INSERT INTO analytics_rollups (cuboid, bucket, node_id, service, route, consumer, tool, mcp_method,
           status_class, requests, errors, latency_total_sum, latency_upstream_sum, upstream_count, latency_gateway_sum,
           request_size_sum, response_size_sum, hist_total, hist_upstream, hist_gateway)
         SELECT x.cuboid, to_timestamp(x.bucket / 1000.0), x.node_id, x.service, x.route, x.consumer, x.tool,
           x.mcp_method, x.status_class, x.requests, x.errors, x.latency_total_sum, x.latency_upstream_sum,
           x.upstream_count, x.latency_gateway_sum, x.request_size_sum, x.response_size_sum, x.hist_total,
           x.hist_upstream, x.hist_gateway
         FROM jsonb_to_recordset($1::jsonb) AS x(cuboid text, bucket double precision, node_id text, service text,
           route text, consumer text, tool text, mcp_method text, status_class text, requests bigint, errors bigint,
           latency_total_sum double precision, latency_upstream_sum double precision, upstream_count bigint,
           latency_gateway_sum double precision, request_size_sum bigint, response_size_sum bigint,
           hist_total integer[], hist_upstream integer[], hist_gateway integer[])
`,
        [JSON.stringify(rollup(records))],
      );
      return { stored: records.length, rejected, duplicate: false };
    });
  }

  /** One partition per UTC day, created before the first record of that day is stored. */
  private async ensurePartitions(records: AnalyticsRecord[]) {
    const days = new Set(records.map((r) => Math.floor(r.ts / DAY)));
    for (const day of days) {
      const name = partitionName(day);
      if (this.partitions.has(name)) continue;
      const from = new Date(day * DAY).toISOString();
      const to = new Date((day + 1) * DAY).toISOString();
      try {
        await this.db.query(
          `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF analytics_records FOR VALUES FROM ('${from}') TO ('${to}')`,
        );
      } catch (err) {
        // Another control plane replica created it at the same moment.
        if (!/already exists/.test((err as Error).message)) throw err;
      }
      this.partitions.add(name);
    }
  }

  /** Whole days past retention are dropped (no row-by-row delete of raw records). */
  async applyRetention(now = Date.now()): Promise<void> {
    const cutoffDay = Math.floor((now - this.retentionDays * DAY) / DAY);
    const rows: { name: string }[] = await this.db.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'analytics_records'`,
    );
    for (const { name } of rows) {
      const m = /^analytics_records_(\d+)$/.exec(name);
      if (m && Number(m[1]) < cutoffDay) {
        await this.db.query(`DROP TABLE IF EXISTS ${name}`);
        this.partitions.delete(name);
      }
    }
    const cutoff = new Date(cutoffDay * DAY).toISOString();
    await this.db.query('DELETE FROM analytics_rollups WHERE bucket < $1', [cutoff]);
    await this.db.query('DELETE FROM analytics_batches WHERE received_at < $1', [cutoff]);
  }
}

function partitionName(day: number): string {
  return `analytics_records_${day}`;
}
