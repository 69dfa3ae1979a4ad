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
/**
 * Batches left un-rolled this long were orphaned (the CP that took them died): rebuild them from
 * raw records. Far above the flush interval, so a live CP's window is never taken from it.
 */
const ORPHAN_AFTER_S = 60;
const RECOVERY_MS = 10_000;
const RECOVERY_BATCHES = 200;

@Injectable()
export class RollupBuilder implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Analytics');
  private window = new Map<string, RollupRow>();
  private batches: string[] = [];
  private flushTimer?: NodeJS.Timeout;
  private recoveryTimer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private recovering?: Promise<void>;

  constructor(private readonly db: DataSource) {}

  onModuleInit() {
    // Separate loops: a slow recovery never delays the flush of live windows.
    this.flushTimer = setInterval(() => {
      if (this.flushing) return;
      this.flushing = this.flush()
        .catch((err) => this.log.warn(`rollups: ${(err as Error).message}`))
        .finally(() => (this.flushing = undefined));
    }, FLUSH_MS);
    this.recoveryTimer = setInterval(() => {
      if (this.recovering) return;
      this.recovering = (async () => {
        while ((await this.recoverOnce()) === RECOVERY_BATCHES);
      })()
        .catch((err) => this.log.warn(`rollup recovery: ${(err as Error).message}`))
        .finally(() => (this.recovering = undefined));
    }, RECOVERY_MS);
    this.flushTimer.unref();
    this.recoveryTimer.unref();
  }

  async onModuleDestroy() {
    clearInterval(this.flushTimer);
    clearInterval(this.recoveryTimer);
    await Promise.all([this.flushing, this.recovering]);
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
      // A millisecond of slack: stored timestamps went through a float conversion.
      const from = new Date(Math.min(...orphans.map((o) => new Date(o.min_ts).getTime())) - 1).toISOString();
      const to = new Date(Math.max(...orphans.map((o) => new Date(o.max_ts).getTime())) + 1).toISOString();
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

const APPEND_CHUNK = 5000;
const pgArray = (h: number[]) => `{${h.join(',')}}`;

/**
 * Appended, not upserted: rows of one key add up at query time; the compactor merges them.
 * Histograms travel as Postgres array literals (far smaller than JSON arrays), in chunks.
 */
export async function appendRollups(tx: EntityManager, rows: RollupRow[], compacted = false): Promise<void> {
  const dims = ROLLUP_DIMENSIONS.join(', ');
  for (let i = 0; i < rows.length; i += APPEND_CHUNK) {
    const chunk = rows.slice(i, i + APPEND_CHUNK).map((r) => ({
      ...r,
      hist_total: pgArray(r.hist_total),
      hist_upstream: pgArray(r.hist_upstream),
      hist_gateway: pgArray(r.hist_gateway),
    }));
    await tx.query(
      `INSERT INTO analytics_rollups (cuboid, bucket, ${dims}, requests, errors, latency_total_sum,
         latency_upstream_sum, upstream_count, latency_gateway_sum, request_size_sum, response_size_sum, hist_total,
         hist_upstream, hist_gateway, compacted)
       SELECT x.cuboid, to_timestamp(x.bucket / 1000.0), ${ROLLUP_DIMENSIONS.map((d) => `x.${d}`).join(', ')},
         x.requests, x.errors, x.latency_total_sum, x.latency_upstream_sum, x.upstream_count, x.latency_gateway_sum,
         x.request_size_sum, x.response_size_sum, x.hist_total::integer[], x.hist_upstream::integer[],
         x.hist_gateway::integer[], $2
       FROM jsonb_to_recordset($1::jsonb) AS x(cuboid text, bucket double precision,
         ${ROLLUP_DIMENSIONS.map((d) => `${d} text`).join(', ')}, requests bigint, errors bigint,
         latency_total_sum double precision, latency_upstream_sum double precision, upstream_count bigint,
         latency_gateway_sum double precision, request_size_sum bigint, response_size_sum bigint,
         hist_total text, hist_upstream text, hist_gateway text)`,
      [JSON.stringify(chunk), compacted],
    );
  }
}
