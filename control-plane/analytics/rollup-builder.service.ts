/**
 * Rollups are built off the ingest path. Committed batches are aggregated in memory for a few
 * seconds (a window of many batches collapses to far fewer rollup rows than batch-by-batch),
 * then appended in one transaction that also flags those batches `rolled_up` — so each batch
 * is counted exactly once. If this process dies first, or another replica got there, the
 * window is discarded and the recovery pass rebuilds those batches from their raw records.
 */
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AnalyticsRecord } from '../../shared/analytics/record';
import { mergeInto, ROLLUP_DIMENSIONS, rollup, rowKey, type RollupRow } from './cuboids';

const FLUSH_MS = 5_000;
/** Batches left un-rolled this long were orphaned (their CP died): rebuild them from raw records. */
const ORPHAN_AFTER_S = 20;
const RECOVERY_BATCHES = 200;

@Injectable()
export class RollupBuilder implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Analytics');
  private window = new Map<string, RollupRow>();
  private batches: string[] = [];
  private timer?: NodeJS.Timeout;
  private busy?: Promise<void>;

  constructor(private readonly db: DataSource) {}

  onModuleInit() {
    this.timer = setInterval(() => void this.tick(), FLUSH_MS);
    this.timer.unref();
  }

  async onModuleDestroy() {
    clearInterval(this.timer);
    await this.busy;
    await this.flush().catch(() => undefined);
  }

  add(batchId: string, records: AnalyticsRecord[]): void {
    for (const row of rollup(records)) {
      const key = rowKey(row);
      const into = this.window.get(key);
      if (into) mergeInto(into, row);
      else this.window.set(key, row);
    }
    this.batches.push(batchId);
  }

  private async tick() {
    if (this.busy) return;
    this.busy = (async () => {
      try {
        await this.flush();
        while ((await this.recoverOnce()) === RECOVERY_BATCHES);
      } catch (err) {
        this.log.warn(`rollups: ${(err as Error).message}`);
      }
    })();
    await this.busy;
    this.busy = undefined;
  }

  /** Write the window; all its batches must still be un-rolled, or nothing is written. */
  async flush(): Promise<void> {
    if (!this.batches.length) return;
    const rows = [...this.window.values()];
    const batches = this.batches;
    this.window = new Map();
    this.batches = [];
    try {
      await this.db.transaction(async (tx) => {
        const flagged = returned(
          await tx.query(
            `UPDATE analytics_batches SET rolled_up = true WHERE batch_id = ANY($1::uuid[]) AND NOT rolled_up
           RETURNING batch_id`,
            [batches],
          ),
        );
        if (flagged.length !== batches.length) throw new WindowTaken();
        await appendRollups(tx, rows);
      });
    } catch (err) {
      if (!(err instanceof WindowTaken)) throw err;
      // Some batches were rebuilt elsewhere; the rest stay un-rolled for the recovery pass.
      this.log.warn(`rollup window of ${batches.length} batches discarded (rebuilt by recovery)`);
    }
  }

  /** Rebuild rollups of orphaned batches from their raw records; returns how many were taken. */
  async recoverOnce(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const orphans: { batch_id: string; min_ts: Date; max_ts: Date }[] = await tx.query(
        `SELECT batch_id, min_ts, max_ts FROM analytics_batches
         WHERE NOT rolled_up AND received_at < now() - make_interval(secs => $1)
         ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [ORPHAN_AFTER_S, RECOVERY_BATCHES],
      );
      if (!orphans.length) return 0;
      const from = new Date(Math.min(...orphans.map((o) => new Date(o.min_ts).getTime()))).toISOString();
      const to = new Date(Math.max(...orphans.map((o) => new Date(o.max_ts).getTime()))).toISOString();
      const raw: any[] = await tx.query(
        `SELECT ts, node_id, service_id, service_name, route_id, route_name, consumer_id, consumer_username,
           status, mcp_method, tool, jsonrpc_error, latency_total_ms, latency_upstream_ms, latency_gateway_ms,
           request_size, response_size
         FROM analytics_records WHERE ts BETWEEN $1 AND $2 AND batch_id = ANY($3::uuid[])`,
        [from, to, orphans.map((o) => o.batch_id)],
      );
      const records = raw.map(
        (r) =>
          ({
            ...r,
            ts: new Date(r.ts).getTime(),
            request_size: Number(r.request_size),
            response_size: Number(r.response_size),
          }) as AnalyticsRecord,
      );
      await appendRollups(tx, rollup(records));
      await tx.query('UPDATE analytics_batches SET rolled_up = true WHERE batch_id = ANY($1::uuid[])', [
        orphans.map((o) => o.batch_id),
      ]);
      this.log.log(`rebuilt rollups of ${orphans.length} orphaned batches (${records.length} records)`);
      return orphans.length;
    });
  }
}

class WindowTaken extends Error {}

/** TypeORM answers UPDATE/DELETE … RETURNING with `[rows, affected]`. */
export function returned(result: unknown): any[] {
  return Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
    ? result[0]
    : (result as any[]);
}

/** Appended, not upserted: rows of one key add up at query time; the compactor merges them. */
export async function appendRollups(tx: EntityManager, rows: RollupRow[], compacted = false): Promise<void> {
  if (!rows.length) return;
  const dims = ROLLUP_DIMENSIONS.join(', ');
  await tx.query(
    `INSERT INTO analytics_rollups (cuboid, bucket, ${dims}, requests, errors, latency_total_sum,
       latency_upstream_sum, upstream_count, latency_gateway_sum, request_size_sum, response_size_sum, hist_total,
       hist_upstream, hist_gateway, compacted)
     SELECT x.cuboid, to_timestamp(x.bucket / 1000.0), ${ROLLUP_DIMENSIONS.map((d) => `x.${d}`).join(', ')},
       x.requests, x.errors, x.latency_total_sum, x.latency_upstream_sum, x.upstream_count, x.latency_gateway_sum,
       x.request_size_sum, x.response_size_sum, x.hist_total, x.hist_upstream, x.hist_gateway, $2
     FROM jsonb_to_recordset($1::jsonb) AS x(cuboid text, bucket double precision,
       ${ROLLUP_DIMENSIONS.map((d) => `${d} text`).join(', ')}, requests bigint, errors bigint,
       latency_total_sum double precision, latency_upstream_sum double precision, upstream_count bigint,
       latency_gateway_sum double precision, request_size_sum bigint, response_size_sum bigint,
       hist_total integer[], hist_upstream integer[], hist_gateway integer[])`,
    [JSON.stringify(rows), compacted],
  );
}
