/**
 * Merges appended rollup rows of the same key into one, in the background (every few seconds),
 * so queries read few rows. Histograms are merged here in JavaScript, not row by row in SQL.
 * Safe with several control plane replicas: rows are taken with SKIP LOCKED, and rows of one
 * key add up at query time whether or not they were merged.
 */
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { emptyRow, mergeInto, ROLLUP_DIMENSIONS, rowKey, type RollupRow } from './cuboids';

const BATCH = 20_000;
const INTERVAL_MS = 5_000;
const KEY_COLUMNS = `cuboid, bucket, ${ROLLUP_DIMENSIONS.join(', ')}`;

@Injectable()
export class RollupCompactor implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Analytics');
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(private readonly db: DataSource) {}

  onModuleInit() {
    this.timer = setInterval(() => void this.tick(), INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy() {
    clearInterval(this.timer);
    await this.running;
  }

  private async tick() {
    if (this.running) return;
    this.running = (async () => {
      try {
        while ((await this.compactOnce()) >= BATCH);
      } catch (err) {
        this.log.warn(`rollup compaction: ${(err as Error).message}`);
      }
    })();
    await this.running;
    this.running = undefined;
  }

  /** Merge the rows of up to BATCH pending rows' keys; returns how many pending rows were taken. */
  async compactOnce(limit = BATCH): Promise<number> {
    return this.db.transaction(async (tx) => {
      const pending: any[] = await tx.query(
        `SELECT ${KEY_COLUMNS} FROM analytics_rollups WHERE NOT compacted LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (!pending.length) return 0;
      const keys = new Map<string, any>();
      for (const k of pending) keys.set(rowKey({ ...k, bucket: new Date(k.bucket).getTime() }), k);
      const rows: any[] = await tx.query(
        `DELETE FROM analytics_rollups r USING jsonb_to_recordset($1::jsonb) AS k(cuboid text, bucket timestamptz,
           ${ROLLUP_DIMENSIONS.map((d) => `${d} text`).join(', ')})
         WHERE r.cuboid = k.cuboid AND r.bucket = k.bucket AND ${ROLLUP_DIMENSIONS.map((d) => `r.${d} = k.${d}`).join(' AND ')}
         RETURNING r.*`,
        [JSON.stringify([...keys.values()])],
      );
      const merged = new Map<string, RollupRow>();
      for (const r of rows) {
        const bucket = new Date(r.bucket).getTime();
        const key = rowKey({ ...r, bucket });
        let into = merged.get(key);
        if (!into) {
          const dims = Object.fromEntries(ROLLUP_DIMENSIONS.map((d) => [d, r[d]])) as any;
          into = emptyRow(r.cuboid, bucket, dims);
          merged.set(key, into);
        }
        mergeInto(into, r);
      }
      await tx.query(
        `INSERT INTO analytics_rollups (${KEY_COLUMNS}, requests, errors, latency_total_sum, latency_upstream_sum,
           upstream_count, latency_gateway_sum, request_size_sum, response_size_sum, hist_total, hist_upstream,
           hist_gateway, compacted)
         SELECT x.cuboid, to_timestamp(x.bucket / 1000.0), ${ROLLUP_DIMENSIONS.map((d) => `x.${d}`).join(', ')},
           x.requests, x.errors, x.latency_total_sum, x.latency_upstream_sum, x.upstream_count, x.latency_gateway_sum,
           x.request_size_sum, x.response_size_sum, x.hist_total, x.hist_upstream, x.hist_gateway, true
         FROM jsonb_to_recordset($1::jsonb) AS x(cuboid text, bucket double precision,
           ${ROLLUP_DIMENSIONS.map((d) => `${d} text`).join(', ')}, requests bigint, errors bigint,
           latency_total_sum double precision, latency_upstream_sum double precision, upstream_count bigint,
           latency_gateway_sum double precision, request_size_sum bigint, response_size_sum bigint,
           hist_total integer[], hist_upstream integer[], hist_gateway integer[])`,
        [JSON.stringify([...merged.values()])],
      );
      return pending.length;
    });
  }
}
