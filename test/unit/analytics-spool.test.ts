import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnalyticsSpool } from '../../data-plane/analytics/spool';
import { sampleRecord } from '../helpers/analytics-record';

const record = (i: number) => sampleRecord({ request_id: `r-${i}` });

const settle = async (spool: AnalyticsSpool) => {
  while (spool.stats().writing_batches) await new Promise((r) => setTimeout(r, 5));
};

test('past the disk bound new records are dropped, counted and reported with a batch', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  const received: any[] = [];
  let connected = false;
  const spool = new AnalyticsSpool({
    dir,
    batchRecords: 5,
    maxDiskBytes: 6000,
    maxMemoryBytes: 2000, // most batches live on disk only
    send: (text) => {
      if (!connected) return false;
      received.push(JSON.parse(text.toString()));
      return true;
    },
  });
  spool.start();
  for (let i = 0; i < 200; i++) spool.record([record(i)]);
  await settle(spool);
  const held = spool.stats();
  assert.ok(held.dropped_records > 0, JSON.stringify(held));
  assert.ok(held.unacked_bytes >= 6000 && held.unacked_bytes < 8000, JSON.stringify(held));
  assert.ok(held.in_memory_bytes <= 2000, JSON.stringify(held));
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.batch')).length, held.unacked_batches);

  // Connected: everything held goes out (read back from disk where needed); acks free the disk.
  connected = true;
  spool.setConnected(true);
  let acked = 0;
  for (let round = 0; round < 200 && spool.stats().unacked_batches; round++) {
    for (const m of received.slice(acked)) spool.ack(m.batch_id);
    acked = received.length;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal(spool.stats().unacked_batches, 0);
  await spool.stop(); // seals the pending drop report, which goes out at once
  const batches = new Map(received.map((m) => [m.batch_id, m]));
  const delivered = [...batches.values()].reduce((n, m) => n + m.records.length, 0);
  const reported = [...batches.values()].reduce((n, m) => n + m.dropped, 0);
  assert.equal(delivered + held.dropped_records, 200, 'every record delivered or counted as dropped');
  assert.equal(reported, held.dropped_records, 'the drops reach the control plane');
});

test('batches left on disk are picked up by the next process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  const first = new AnalyticsSpool({ dir, batchRecords: 10, send: () => false });
  first.start();
  for (let i = 0; i < 25; i++) first.record([record(i)]);
  await first.stop(); // seals the last 5
  const sent: any[] = [];
  const second = new AnalyticsSpool({ dir, send: (t) => sent.push(JSON.parse(t.toString())) > 0 });
  second.start();
  second.setConnected(true);
  assert.equal(
    sent.reduce((n, m) => n + m.records.length, 0),
    25,
  );
  for (const m of sent) second.ack(m.batch_id);
  await second.stop();
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.batch')),
    [],
  );
});

test('a record too large for a frame keeps its fields and loses only its detail', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  const sent: any[] = [];
  const spool = new AnalyticsSpool({ dir, send: (t) => sent.push(JSON.parse(t.toString())) > 0 });
  spool.start();
  spool.setConnected(true);
  const huge = {
    ...record(1),
    detail: {
      response_payload: Object.fromEntries(
        Array.from({ length: 40_000 }, (_, i) => [`k${i}`, 'v'.repeat(10)]),
      ),
    },
  };
  spool.record([huge, record(2)]);
  await spool.stop();
  const records = sent.flatMap((m) => m.records);
  assert.equal(records.length, 2);
  assert.equal(records[0].request_id, huge.request_id);
  assert.equal(records[0].detail.truncated, true);
  assert.ok(records[0].detail.size > 256 * 1024);
  assert.equal(records[1].request_id, 'r-2');
  assert.deepEqual(records[1].detail, JSON.parse(JSON.stringify(record(2))).detail);
});
