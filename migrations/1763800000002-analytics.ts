import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Analytics: raw records partitioned by day (old days are dropped whole), the batch ids that
 * make resends harmless, and rollups whose histograms merge by addition.
 */
export class Analytics1763800000002 implements MigrationInterface {
  name = 'Analytics1763800000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE analytics_batches (
        batch_id uuid PRIMARY KEY,
        node_id text NOT NULL,
        records integer NOT NULL,
        dropped integer NOT NULL DEFAULT 0,
        received_at timestamptz NOT NULL DEFAULT now(),
        -- the batch's records are counted in analytics_rollups
        rolled_up boolean NOT NULL DEFAULT false,
        min_ts timestamptz,
        max_ts timestamptz
      )`);
    await q.query('CREATE INDEX analytics_batches_received_at ON analytics_batches (received_at)');
    await q.query(
      'CREATE INDEX analytics_batches_pending ON analytics_batches (received_at) WHERE NOT rolled_up',
    );
    await q.query(`
      CREATE TABLE analytics_records (
        ts timestamptz NOT NULL,
        request_id text NOT NULL,
        batch_id uuid NOT NULL,
        node_id text NOT NULL,
        service_id text,
        service_name text,
        route_id text,
        route_name text,
        consumer_id text,
        consumer_username text,
        consumer_groups text[] NOT NULL DEFAULT '{}',
        http_method text NOT NULL,
        path text NOT NULL,
        status integer NOT NULL,
        mcp_method text,
        tool text,
        jsonrpc_error integer,
        mcp_session_id text,
        latency_total_ms real NOT NULL,
        latency_upstream_ms real,
        latency_gateway_ms real NOT NULL,
        request_size bigint NOT NULL,
        response_size bigint NOT NULL,
        source text NOT NULL,
        detail jsonb
      ) PARTITION BY RANGE (ts)`);
    await q.query('CREATE INDEX analytics_records_ts ON analytics_records (ts DESC)');
    await q.query(`
      CREATE TABLE analytics_rollups (
        cuboid text NOT NULL,
        bucket timestamptz NOT NULL,
        node_id text NOT NULL,
        service text NOT NULL,
        route text NOT NULL,
        consumer text NOT NULL,
        tool text NOT NULL,
        mcp_method text NOT NULL,
        status_class text NOT NULL,
        requests bigint NOT NULL,
        errors bigint NOT NULL,
        latency_total_sum double precision NOT NULL,
        latency_upstream_sum double precision NOT NULL,
        upstream_count bigint NOT NULL,
        latency_gateway_sum double precision NOT NULL,
        request_size_sum bigint NOT NULL,
        response_size_sum bigint NOT NULL,
        hist_total integer[] NOT NULL,
        hist_upstream integer[] NOT NULL,
        hist_gateway integer[] NOT NULL,
        compacted boolean NOT NULL DEFAULT false
      )`);
    // Ingest only appends (rows of one key add up at query time); a compactor merges them.
    await q.query('CREATE INDEX analytics_rollups_cuboid_bucket ON analytics_rollups (cuboid, bucket)');
    await q.query(
      'CREATE INDEX analytics_rollups_pending ON analytics_rollups (cuboid, bucket) WHERE NOT compacted',
    );
    // Element-wise sum of two histograms of any lengths.
    await q.query(`
      CREATE FUNCTION tollgate_hist_add(a integer[], b integer[]) RETURNS integer[]
      LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
      DECLARE
        n integer := greatest(coalesce(cardinality(a), 0), coalesce(cardinality(b), 0));
        r integer[] := array_fill(0, ARRAY[n]);
      BEGIN
        FOR i IN 1..n LOOP
          r[i] := coalesce(a[i], 0) + coalesce(b[i], 0);
        END LOOP;
        RETURN r;
      END $$`);
    await q.query(`
      CREATE AGGREGATE tollgate_hist_sum(integer[]) (SFUNC = tollgate_hist_add, STYPE = integer[], INITCOND = '{}')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS analytics_rollups');
    await q.query('DROP TABLE IF EXISTS analytics_records');
    await q.query('DROP TABLE IF EXISTS analytics_batches');
    await q.query('DROP AGGREGATE IF EXISTS tollgate_hist_sum(integer[])');
    await q.query('DROP FUNCTION IF EXISTS tollgate_hist_add(integer[], integer[])');
  }
}
