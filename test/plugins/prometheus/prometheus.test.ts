/**
 * Kong's prometheus plugin: with its metrics switched on, the data plane's `/metrics` carries
 * Kong's series under Kong's names and labels (what Kong's Grafana dashboard reads) for real
 * traffic, a gateway refusal included; switched off (Kong's defaults), none of them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mustCreate, sendThrough, startStack, type Stack } from '../../helpers/stack';
import { startEchoUpstream, waitFor } from '../../helpers/topology';

let s: Stack;
let echo: Awaited<ReturnType<typeof startEchoUpstream>>;
const metrics = async () => (await fetch(`${s.dp.statusUrl}/metrics`)).text();

before(async () => {
  s = await startStack();
  echo = await startEchoUpstream();
  await mustCreate(s.api, '/services', { name: 'orders', url: echo.url });
  await mustCreate(s.api, '/services/orders/routes', { name: 'orders-route', paths: ['/orders'] });
  await mustCreate(s.api, '/consumers', { username: 'alice' });
  await mustCreate(s.api, '/consumers/alice/key-auth', { key: 'alice-key' });
  await mustCreate(s.api, '/routes/orders-route/plugins', { name: 'key-auth' });
  await s.synced();
});
after(async () => {
  await s?.close();
  await echo?.close();
});

test('Kong’s defaults export no request series', async () => {
  const plugin = await mustCreate(s.api, '/plugins', { name: 'prometheus' });
  assert.equal(plugin.config.status_code_metrics, false);
  await s.synced();
  assert.equal(
    (await sendThrough(s.dp.proxyUrl, '/orders', { headers: { apikey: 'alice-key' } })).status,
    200,
  );
  assert.ok(!(await metrics()).includes('kong_http_requests_total{'));
  await s.api('DELETE', `/plugins/${plugin.id}`);
});

test('Kong’s series and labels for served and refused requests', async () => {
  await mustCreate(s.api, '/plugins', {
    name: 'prometheus',
    config: { per_consumer: true, status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true },
  });
  await s.synced();
  assert.equal(
    (
      await sendThrough(s.dp.proxyUrl, '/orders', {
        method: 'POST',
        headers: { apikey: 'alice-key' },
        body: 'abc',
      })
    ).status,
    200,
  );
  assert.equal((await sendThrough(s.dp.proxyUrl, '/orders')).status, 401);
  const text = await waitFor('the series', async () => {
    const t = await metrics();
    return t.includes('code="401"') ? t : undefined;
  });
  assert.match(
    text,
    /kong_http_requests_total\{service="orders",route="orders-route",code="200",source="service",workspace="default",consumer="alice"\} 1/,
  );
  assert.match(
    text,
    /kong_http_requests_total\{service="orders",route="orders-route",code="401",source="exit",workspace="default",consumer=""\} 1/,
  );
  for (const h of ['kong_request_latency_ms', 'kong_upstream_latency_ms', 'kong_kong_latency_ms'])
    assert.match(
      text,
      new RegExp(`${h}_count\\{service="orders",route="orders-route",workspace="default"\\} \\d`),
      h,
    );
  assert.match(
    text,
    /kong_bandwidth_bytes\{service="orders",route="orders-route",direction="ingress",workspace="default",consumer="alice"\} 3/,
  );
});
