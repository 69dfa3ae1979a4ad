/**
 * Analytics at scale: records ingested through the real cluster link (simulated data planes
 * speaking the protocol to a control plane process on Postgres), then query latency for a
 * service summary and a per-tool breakdown over the whole set (10 million records by default;
 * BENCH_ANALYTICS_RECORDS to change).
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { Client as PgClient } from 'pg';
import { startCpProcess } from '../test/helpers/topology';
import { withScratchDatabase } from '../test/helpers/control-plane';
import { adminClient } from '../test/helpers/http';
import { OUTLET_PATH, CLUSTER_PROTOCOL_VERSION } from '../shared/cluster/protocol';
import { TOLLGATE_VERSION } from '../shared/version';
import type { AnalyticsRecord } from '../shared/analytics/record';

const PG = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TOTAL = Number(process.env.BENCH_ANALYTICS_RECORDS ?? 10_000_000);
const BATCH = 1000;
const NODES = 3;
const IN_FLIGHT = 4;
const TOKEN = 'bench-token';

const SERVICES = Array.from({ length: 10 }, (_, i) => `service-${i}`);
const TOOLS = Array.from({ length: 75 }, (_, i) => ({ name: `tool_${i}`, service: SERVICES[i % 10] }));
const CONSUMERS = Array.from({ length: 20 }, (_, i) => `consumer-${i}`);

/**
 * Traffic as data planes send it: timestamps advance through the window (each batch covers a
 * few seconds of one node's traffic), spread over the last 23 hours so range queries span them.
 */
function generator(nodeId: string, seed: number, count: number, from: number, to: number) {
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  let i = 0;
  return (): AnalyticsRecord => {
    const ts = Math.floor(from + ((to - from) * i++) / count);
    const tool = rnd() < 0.7 ? TOOLS[Math.floor(rnd() * TOOLS.length)] : null;
    const service = tool ? tool.service : SERVICES[Math.floor(rnd() * SERVICES.length)];
    const r = rnd();
    const status = r < 0.95 ? 200 : r < 0.98 ? 403 : 502;
    const upstream = Math.exp(Math.log(20) + rnd() * 2 - 1);
    const gateway = 0.2 + rnd() * 0.5;
    return {
      request_id: randomUUID(),
      ts,
      node_id: nodeId,
      service_id: null,
      service_name: service,
      route_id: null,
      route_name: `${service}-route`,
      consumer_id: null,
      consumer_username: CONSUMERS[Math.floor(rnd() * CONSUMERS.length)],
      consumer_groups: [],
      http_method: 'POST',
      path: `/${service}`,
      status,
      mcp_method: tool ? 'tools/call' : null,
      tool: tool?.name ?? null,
      jsonrpc_error: tool && rnd() < 0.01 ? -32602 : null,
      mcp_session_id: null,
      mcp_protocol_version: null,
      mcp_client: null,
      latency_total_ms: upstream + gateway,
      latency_upstream_ms: upstream,
      latency_gateway_ms: gateway,
      request_size: 300,
      response_size: 1200,
      source: 'upstream',
      detail: null,
    };
  };
}

/** One simulated data plane: hello, then batches with up to IN_FLIGHT unacknowledged. */
async function simulatedDataPlane(
  clusterUrl: string,
  count: number,
  seed: number,
  window: [number, number],
): Promise<void> {
  const nodeId = randomUUID();
  const url = new URL(OUTLET_PATH, clusterUrl);
  url.searchParams.set('node_id', nodeId);
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${TOKEN}` }, perMessageDeflate: false });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(
    JSON.stringify({
      type: 'hello',
      protocol: CLUSTER_PROTOCOL_VERSION,
      node_id: nodeId,
      hostname: `bench-${seed}`,
      version: TOLLGATE_VERSION,
      plugins: [],
      config_version: 0,
      config_hash: '',
    }),
  );
  const next = generator(nodeId, seed, count, window[0], window[1]);
  let sent = 0;
  let acked = 0;
  await new Promise<void>((resolve, reject) => {
    const pending = new Set<string>();
    const pump = () => {
      while (pending.size < IN_FLIGHT && sent < count) {
        const n = Math.min(BATCH, count - sent);
        const id = randomUUID();
        pending.add(id);
        ws.send(
          JSON.stringify({
            type: 'analytics',
            batch_id: id,
            records: Array.from({ length: n }, next),
            dropped: 0,
          }),
        );
        sent += n;
      }
    };
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return;
      const msg = JSON.parse(data.toString('utf8'));
      if (msg.type !== 'analytics_ack' || !pending.delete(msg.batch_id)) return;
      acked += BATCH;
      if (acked >= count && !pending.size) resolve();
      else pump();
    });
    ws.on('close', () => reject(new Error('control plane closed the link')));
    pump();
  });
  ws.removeAllListeners('close');
  ws.close();
}

async function ingest(clusterUrl: string, records: number, window: [number, number]): Promise<number> {
  const t0 = performance.now();
  const per = Math.ceil(records / NODES);
  await Promise.all(
    Array.from({ length: NODES }, (_, i) => simulatedDataPlane(clusterUrl, per, 1000 + i + records, window)),
  );
  return (per * NODES) / ((performance.now() - t0) / 1000);
}

export async function benchAnalytics(): Promise<string> {
  return withScratchDatabase(PG, async (databaseUrl) => {
    const cp = await startCpProcess({ databaseUrl, clusterToken: TOKEN });
    const api = adminClient(cp.adminUrl);
    const rows = ['| measurement | records in store | result |', '|---|---|---|'];
    const log = (r: string) => {
      rows.push(r);
      process.stderr.write(`${r}\n`);
    };
    try {
      // Ingest through the real link, in chunks so progress shows; throughput per chunk.
      let stored = 0;
      const rates: number[] = [];
      const chunk = Math.min(TOTAL, 500_000);
      const chunks = Math.ceil(TOTAL / chunk);
      const start = Date.now() - 23 * 3_600_000;
      let k = 0;
      while (stored < TOTAL) {
        const n = Math.min(chunk, TOTAL - stored);
        const span = (Date.now() - start) / chunks;
        rates.push(await ingest(cp.clusterUrl, n, [start + k * span, start + ++k * span]));
        stored += Math.ceil(n / NODES) * NODES;
        process.stderr.write(`  ingested ${stored} (${Math.round(rates[rates.length - 1])} records/s)\n`);
      }
      rates.sort((a, b) => a - b);
      log(
        `| ingest: records committed per second (${NODES} data planes, batches of ${BATCH}) | 0 → ${stored} | median ${Math.round(rates[Math.floor(rates.length / 2)])}/s, min ${Math.round(rates[0])}/s |`,
      );
      // Rollups trail ingest by one window (5 s): wait until every record is counted.
      const counted = async () =>
        (
          await api('POST', '/analytics/query', {
            metrics: ['request_count'],
            time_range: { type: 'relative', time_range: '24h' },
          })
        ).body.data[0]?.event.request_count;
      for (let i = 0; (await counted()) !== stored; i++) {
        if (i > 120) {
          const notes = cp.proc
            .output()
            .split('\n')
            .filter((l) => /WARN|ERROR/.test(l));
          throw new Error(
            `stored ${stored}, rollups count ${await counted()}\n${notes.slice(-20).join('\n')}`,
          );
        }
        await new Promise((r) => setTimeout(r, 1000));
      }

      // Steady state: the compactor has merged the appended rollup rows (it runs every 5 s).
      const t0c = performance.now();
      const pg = new PgClient({ connectionString: databaseUrl });
      await pg.connect();
      for (;;) {
        const { rows } = await pg.query(
          'SELECT count(*)::int AS n FROM analytics_rollups WHERE NOT compacted',
        );
        if (rows[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      const stats = await pg.query(
        `SELECT count(*)::int AS rows, pg_size_pretty(pg_total_relation_size('analytics_rollups')) AS size FROM analytics_rollups`,
      );
      await pg.end();
      log(
        `| rollups after compaction (caught up ${((performance.now() - t0c) / 1000).toFixed(0)} s after ingest) | ${stored} | ${stats.rows[0].rows} rows, ${stats.rows[0].size} |`,
      );

      const timeQuery = async (label: string, body: unknown) => {
        const times: number[] = [];
        let groups = 0;
        for (let i = 0; i < 7; i++) {
          const t0 = performance.now();
          const r = await api('POST', '/analytics/query', body);
          times.push(performance.now() - t0);
          if (r.status !== 200) throw new Error(r.text);
          groups = r.body.data.length;
        }
        times.sort((a, b) => a - b);
        log(
          `| ${label} (${groups} groups) | ${stored} | median ${times[3].toFixed(0)} ms, max ${times[6].toFixed(0)} ms |`,
        );
      };
      const metrics = [
        'request_count',
        'error_rate',
        'response_latency_p50',
        'response_latency_p95',
        'response_latency_p99',
      ];
      const day = { type: 'relative', time_range: '24h' };
      await timeQuery('query: service summary, last 24h', {
        metrics,
        dimensions: ['gateway_service'],
        time_range: day,
      });
      await timeQuery('query: per-tool breakdown of one service, last 24h', {
        metrics,
        dimensions: ['mcp_tool_name'],
        filters: [{ field: 'gateway_service', operator: 'in', value: ['service-3'] }],
        time_range: day,
      });
      await timeQuery('query: per-tool breakdown, all services, last 24h', {
        metrics,
        dimensions: ['mcp_tool_name'],
        time_range: day,
      });
      await timeQuery('query: service × hour, last 24h', {
        metrics,
        dimensions: ['time', 'gateway_service'],
        granularity: 'hourly',
        time_range: day,
      });
      await timeQuery('query: consumer × node (no rollup keeps it: raw records), last 1h', {
        metrics,
        dimensions: ['consumer', 'data_plane_node'],
        time_range: { type: 'relative', time_range: '1h' },
      });
      const t0 = performance.now();
      const trail = await api('GET', '/analytics/requests?tool=tool_7&size=100');
      log(
        `| raw trail: last 100 calls of one tool | ${stored} | ${(performance.now() - t0).toFixed(0)} ms (${trail.body.data.length} rows) |`,
      );
    } finally {
      await cp.proc.stop('SIGKILL');
    }
    return rows.join('\n');
  });
}
