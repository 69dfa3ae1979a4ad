/**
 * Stores analytics batches: the batch id and its raw records in one transaction, acknowledged
 * only after commit (rollups follow from the RollupBuilder). A batch id seen before is acknowledged without
 * storing anything again, so a data plane may resend freely (exactly-once storage).
 */
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { fieldSpec, RECORD_FIELDS, type AnalyticsRecord } from '../../shared/analytics/record';
import { RollupBuilder } from './rollup-builder.service';
import { validateRecord } from './record-validation';
import { CP_OPTIONS, type ControlPlaneOptions } from '../options';

const DAY = 86_400_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface IngestResult {
  stored: number;
  rejected: number;
  duplicate: boolean;
  /** The batch could not be stored: it is acknowledged and kept in analytics_dead_letters. */
  deadLettered?: boolean;
}

const MAX_DEAD_LETTER_PAYLOAD = 1024 * 1024;

/** Column by column from the record's schema (shared/analytics/record.ts). */
const RECORD_VALUES = RECORD_FIELDS.map((f) =>
  f === 'ts'
    ? 'to_timestamp(x.ts / 1000.0)'
    : f === 'consumer_groups'
      ? "coalesce(x.consumer_groups, '{}')"
      : `x.${f}`,
);
const INSERT_RECORDS = `INSERT INTO analytics_records (batch_id, ${RECORD_FIELDS.join(', ')})
  SELECT $2::uuid, ${RECORD_VALUES.join(', ')}
  FROM jsonb_to_recordset($1::jsonb) AS x(${RECORD_FIELDS.map((f) => `${f} ${fieldSpec(f).sqlType}`).join(', ')})`;

@Injectable()
export class AnalyticsIngest implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Analytics');
  private readonly partitions = new Set<string>();
  private retentionTimer?: NodeJS.Timeout;
  readonly retentionDays: number;

  constructor(
    private readonly db: DataSource,
    private readonly builder: RollupBuilder,
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
    let result: IngestResult & { storedRecords: AnalyticsRecord[] };
    try {
      result = await this.store(nodeId, batchId, records, dropped, rejected, false);
    } catch (err) {
      // Some record cannot be stored (a value out of a column's range, …): store the batch
      // record by record, setting aside only those that fail. A batch is never resent forever
      // ahead of the good ones behind it, and no good record is lost with a bad one.
      this.log.warn(`data plane ${nodeId}: batch ${batchId} failed as a whole (${(err as Error).message})`);
      result = await this.store(nodeId, batchId, records, dropped, rejected, true);
    }
    // Committed: counted into the in-memory rollup window, written by the builder shortly.
    if (result.stored) this.builder.add(batchId, result.storedRecords);
    const { storedRecords: _stored, ...summary } = result;
    return summary;
  }

  /**
   * The batch id and its records in one transaction. `each`: one savepoint per record, records
   * that fail go to analytics_dead_letters (with the error) instead. If the database itself is
   * away this throws: no ack, and the data plane sends the batch again.
   */
  private async store(
    nodeId: string,
    batchId: string,
    records: AnalyticsRecord[],
    dropped: number,
    rejected: number,
    each: boolean,
  ): Promise<IngestResult & { storedRecords: AnalyticsRecord[] }> {
    await this.ensurePartitions(records);
    return this.db.transaction(async (tx) => {
      const fresh = await tx.query(
        `INSERT INTO analytics_batches (batch_id, node_id, records, dropped, min_ts, max_ts, rolled_up)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id`,
        [batchId, nodeId, records.length, dropped, ...tsBounds(records), records.length === 0],
      );
      if (!fresh.length) return { stored: 0, rejected, duplicate: true, storedRecords: [] };
      if (!records.length) return { stored: 0, rejected, duplicate: false, storedRecords: [] };
      if (!each) {
        await tx.query(INSERT_RECORDS, [JSON.stringify(records), batchId]);
        return { stored: records.length, rejected, duplicate: false, storedRecords: records };
      }
      const stored: AnalyticsRecord[] = [];
      const failed: { record: AnalyticsRecord; error: string }[] = [];
      for (const record of records) {
        await tx.query('SAVEPOINT analytics_record');
        try {
          await tx.query(INSERT_RECORDS, [JSON.stringify([record]), batchId]);
          await tx.query('RELEASE SAVEPOINT analytics_record');
          stored.push(record);
        } catch (err) {
          await tx.query('ROLLBACK TO SAVEPOINT analytics_record');
          failed.push({ record, error: (err as Error).message });
        }
      }
      await tx.query('UPDATE analytics_batches SET records = $2, rolled_up = $3 WHERE batch_id = $1', [
        batchId,
        stored.length,
        stored.length === 0,
      ]);
      if (failed.length) {
        const errors = [...new Set(failed.map((f) => f.error))].join('; ');
        await tx.query(
          `INSERT INTO analytics_dead_letters (batch_id, node_id, records, error, payload)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (batch_id) DO NOTHING`,
          [
            batchId,
            nodeId,
            failed.length,
            errors.slice(0, 2000),
            JSON.stringify(failed.map((f) => f.record)).slice(0, MAX_DEAD_LETTER_PAYLOAD),
          ],
        );
        this.log.error(
          `data plane ${nodeId}: ${failed.length} of ${records.length} records of batch ${batchId} could not be ` +
            `stored and were dead-lettered (analytics_dead_letters): ${errors}`,
        );
      }
      return {
        stored: stored.length,
        rejected,
        duplicate: false,
        deadLettered: failed.length > 0,
        storedRecords: stored,
      };
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
    await this.db.query('DELETE FROM analytics_dead_letters WHERE received_at < $1', [cutoff]);
  }
}

function tsBounds(records: AnalyticsRecord[]): [string | null, string | null] {
  if (!records.length) return [null, null];
  let min = Infinity;
  let max = -Infinity;
  for (const r of records) {
    if (r.ts < min) min = r.ts;
    if (r.ts > max) max = r.ts;
  }
  return [new Date(min).toISOString(), new Date(max).toISOString()];
}

function partitionName(day: number): string {
  return `analytics_records_${day}`;
}
