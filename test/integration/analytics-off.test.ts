/** TOLLGATE_ANALYTICS=off: a data plane builds and sends no analytics records at all. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dataPlaneOptionsFromEnv } from '../../data-plane/options';
import { mustCreate, startStack } from '../helpers/stack';

test('the switch is read from the environment', () => {
  assert.equal(dataPlaneOptionsFromEnv({}).analytics, true);
  for (const v of ['off', 'OFF', 'false', '0'])
    assert.equal(dataPlaneOptionsFromEnv({ TOLLGATE_ANALYTICS: v }).analytics, false);
});

test('with analytics off, proxied requests leave no record anywhere', async () => {
  const upstream = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  for (const analytics of [true, false]) {
    const s = await startStack({ analytics });
    try {
      await mustCreate(s.api, '/services', {
        name: 'svc',
        url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`,
      });
      await mustCreate(s.api, '/services/svc/routes', { name: 'r', paths: ['/r'] });
      await s.synced();
      for (let i = 0; i < 5; i++) assert.equal((await fetch(`${s.dp.proxyUrl}/r`)).status, 200);
      // records are built one tick after the response; give the log phase its turn
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      const st = s.dp.analytics.stats();
      const seen = st.buffered_records + st.unacked_batches + st.acked_batches + st.writing_batches;
      if (analytics) assert.ok(seen > 0, `analytics on: ${JSON.stringify(st)}`);
      else assert.equal(seen, 0, `analytics off: ${JSON.stringify(st)}`);
    } finally {
      await s.close();
    }
  }
  upstream.close();
});
