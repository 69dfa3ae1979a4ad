import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateRecord } from '../../control-plane/analytics/record-validation';
import {
  dimensionValues,
  emptyRow,
  rollup,
  rowKey,
  type RollupRow,
} from '../../control-plane/analytics/cuboids';
import { bucketOf } from '../../shared/analytics/histogram';
import { isError, type AnalyticsRecord } from '../../shared/analytics/record';

const base = {
  request_id: 'r1',
  ts: Date.now(),
  node_id: 'claimed',
  http_method: 'POST',
  path: '/mcp',
  status: 200,
  latency_total_ms: 1,
  latency_upstream_ms: 0.5,
  latency_gateway_ms: 0.5,
  request_size: 10,
  response_size: 20,
  source: 'upstream',
};

test('a storable detail is kept as sent, the same object, never copied', () => {
  const detail = {
    request_payload: { id: 1, params: { q: 'x'.repeat(1000) } },
    list: [1, -2.5e-7, true, null],
  };
  const r = validateRecord({ ...base, detail }, 'node-a')!;
  assert.equal(r.node_id, 'node-a');
  assert.equal(r.detail, detail);
});

test('a detail with NUL, lone surrogates, long keys or deep nesting is stored cleaned', () => {
  let deep: Record<string, unknown> = {};
  const top = deep;
  for (let i = 0; i < 40; i++) deep = (deep.d = {}) as Record<string, unknown>;
  const r = validateRecord(
    { ...base, detail: { a: 'x\u0000y', s: '\ud800', ['k'.repeat(300)]: 1, top } },
    'n',
  )!;
  const d = r.detail as Record<string, any>;
  assert.equal(d.a, 'x\\u0000y');
  assert.equal(d.s, '\\ud800');
  assert.ok(Object.keys(d).some((k) => k.length === 256 && k.endsWith('…')));
  assert.match(JSON.stringify(d.top), /"\[TRUNCATED\]"/);
});

test('details are cut at 64 KiB of JSON, measured exactly whatever the bound says', () => {
  // Escape-heavy text: the bound (6 characters per character) is far over 64 KiB, the JSON is not.
  const controls = { c: '\u0001'.repeat(8000) }; // 48,000 characters of JSON
  assert.deepEqual(validateRecord({ ...base, detail: controls }, 'n')!.detail, controls);
  const under = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`k${i}`, 'z'.repeat(8000)]));
  assert.deepEqual(validateRecord({ ...base, detail: under }, 'n')!.detail, under);
  const over = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'z'.repeat(8000)]));
  const size = JSON.stringify(over).length;
  assert.ok(size > 64 * 1024);
  assert.deepEqual(validateRecord({ ...base, detail: over }, 'n')!.detail, { truncated: true, size });
});

/** The rollup written the plain way: every record into every cuboid's row, one by one. */
function plainRollup(records: AnalyticsRecord[]): Map<string, RollupRow> {
  const rows = new Map<string, RollupRow>();
  const cuboids = [
    ['service', ['service', 'status_class']],
    ['service,tool', ['service', 'tool', 'mcp_method', 'status_class']],
    ['service,consumer', ['service', 'consumer', 'status_class']],
    ['service,route', ['service', 'route', 'status_class']],
    ['node,service', ['node_id', 'service', 'status_class']],
  ] as const;
  const bump = (h: number[], i: number) => {
    while (h.length <= i) h.push(0);
    h[i]++;
  };
  for (const r of records) {
    const values: Record<string, string> = dimensionValues(r);
    for (const [prefix, step] of [
      ['h', 3_600_000],
      ['m', 60_000],
    ] as const)
      for (const [name, dims] of cuboids) {
        const keep = (d: string) => ((dims as readonly string[]).includes(d) ? values[d] : '*');
        const row = {
          cuboid: `${prefix}:${name}`,
          bucket: Math.floor(r.ts / step) * step,
          node_id: keep('node_id'),
          service: keep('service'),
          route: keep('route'),
          consumer: keep('consumer'),
          tool: keep('tool'),
          mcp_method: keep('mcp_method'),
          status_class: keep('status_class'),
        };
        const key = rowKey(row);
        const { cuboid, bucket, ...dimValues } = row;
        const into = rows.get(key) ?? emptyRow(cuboid, bucket, dimValues);
        rows.set(key, into);
        into.requests++;
        if (isError(r)) into.errors++;
        into.latency_total_sum += r.latency_total_ms;
        into.latency_gateway_sum += r.latency_gateway_ms;
        into.request_size_sum += r.request_size;
        into.response_size_sum += r.response_size;
        bump(into.hist_total, bucketOf(r.latency_total_ms));
        bump(into.hist_gateway, bucketOf(r.latency_gateway_ms));
        if (r.latency_upstream_ms !== null) {
          into.latency_upstream_sum += r.latency_upstream_ms;
          into.upstream_count++;
          bump(into.hist_upstream, bucketOf(r.latency_upstream_ms));
        }
      }
  }
  return rows;
}

test('rollups grouped by minute and dimension values: the same rows as record by record', () => {
  let x = 7;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const now = Date.now();
  const records = Array.from({ length: 5000 }, (_, i) => {
    const r = validateRecord(
      {
        ...base,
        request_id: `r${i}`,
        ts: now - Math.floor(rnd() * 7_200_000),
        service_name: rnd() < 0.1 ? null : `s${Math.floor(rnd() * 4)}`,
        service_id: 'sid',
        route_name: `r${Math.floor(rnd() * 3)}`,
        consumer_username: rnd() < 0.2 ? null : `c${Math.floor(rnd() * 6)}`,
        consumer_id: rnd() < 0.5 ? 'cid' : null,
        tool: rnd() < 0.3 ? null : `t${Math.floor(rnd() * 9)}`,
        mcp_method: 'tools/call',
        status: rnd() < 0.9 ? 200 : 503,
        jsonrpc_error: rnd() < 0.05 ? -32602 : null,
        latency_total_ms: rnd() * 100,
        latency_gateway_ms: rnd(),
        latency_upstream_ms: rnd() < 0.1 ? null : rnd() * 90,
        response_size: Math.floor(rnd() * 5000),
      },
      `node-${Math.floor(rnd() * 2)}`,
    );
    assert.ok(r);
    return r;
  });
  const expected = plainRollup(records);
  const got = rollup(records);
  assert.equal(got.length, expected.size);
  for (const row of got) assert.deepEqual(row, expected.get(rowKey(row)));
});
