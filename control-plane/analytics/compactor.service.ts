/**
 * Merges appended rollup rows of the same key into one, in the background (every few seconds),
 * so queries read few rows. Histograms are merged here in JavaScript, not row by row in SQL.
 * Safe with several control plane replicas: rows are taken with SKIP LOCKED, and rows of one
 * key add up at query time whether or not they were merged.
 */
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { emptyRow, mergeInto, ROLLUP_DIMENSIONS, rowKey, type RollupRow } from './cuboids';
import { appendRollups, returned } from './rollup-builder.service';

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
      const rows: any[] = returned(
        await tx.query(
          `DELETE FROM analytics_rollups r USING jsonb_to_recordset($1::jsonb) AS k(cuboid text, bucket timestamptz,
           ${ROLLUP_DIMENSIONS.map((d) => `${d} text`).join(', ')})
         WHERE r.cuboid = k.cuboid AND r.bucket = k.bucket AND ${ROLLUP_DIMENSIONS.map((d) => `r.${d} = k.${d}`).join(' AND ')}
         RETURNING r.*`,
          [JSON.stringify([...keys.values()])],
        ),
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
      await appendRollups(tx, [...merged.values()], true);
      return pending.length;
    });
  }
}
