/**
 * Kong's datadog plugin against a local DogStatsD listener (UDP): each request's metrics with
 * Kong's names, types and tags, the consumer by the configured identifier; Kong's defaults and
 * checks through the Admin API; a decK file round trip.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { mustCreate, sendThrough, startStack, type Stack } from '../../helpers/stack';
import { startEchoUpstream, waitFor } from '../../helpers/topology';
import { syncCleanly } from '../../helpers/deck';

let s: Stack;
let echo: Awaited<ReturnType<typeof startEchoUpstream>>;
let agent: Socket;
const lines: string[] = [];

before(async () => {
  agent = createSocket('udp4');
  agent.on('message', (m) => lines.push(...m.toString('utf8').split('\n')));
  await new Promise<void>((r) => agent.bind(0, '127.0.0.1', r));
  s = await startStack();
  echo = await startEchoUpstream();
  await mustCreate(s.api, '/services', { name: 'billing.api', url: echo.url });
  await mustCreate(s.api, '/services/billing.api/routes', { name: 'billing', paths: ['/billing'] });
  await mustCreate(s.api, '/consumers', { username: 'alice', custom_id: 'cust-1' });
  await mustCreate(s.api, '/consumers/alice/key-auth', { key: 'alice-key' });
  await mustCreate(s.api, '/routes/billing/plugins', { name: 'key-auth' });
  await mustCreate(s.api, '/routes/billing/plugins', {
    name: 'datadog',
    config: { host: '127.0.0.1', port: (agent.address() as AddressInfo).port },
  });
  await s.synced();
});
after(async () => {
  agent?.close();
  await s?.close();
  await echo?.close();
});

test('Kong’s defaults: every metric, tagged app:kong, consumers by custom_id; counters need a sample rate', async () => {
  const plugin = (await s.api('GET', '/routes/billing/plugins')).body.data.find(
    (p: any) => p.name === 'datadog',
  );
  assert.equal(plugin.config.prefix, 'kong');
  assert.deepEqual(
    plugin.config.metrics.map((m: any) => [m.name, m.stat_type]),
    [
      ['request_count', 'counter'],
      ['latency', 'timer'],
      ['request_size', 'timer'],
      ['response_size', 'timer'],
      ['upstream_latency', 'timer'],
      ['kong_latency', 'timer'],
    ],
  );
  const bad = await s.api('POST', '/plugins', {
    name: 'datadog',
    config: { metrics: [{ name: 'request_count', stat_type: 'counter' }] },
  });
  assert.equal(bad.status, 400, JSON.stringify(bad.body));
  const unknown = await s.api('POST', '/plugins', {
    name: 'datadog',
    config: { metrics: [{ name: 'request_per_user', stat_type: 'counter', sample_rate: 1 }] },
  });
  assert.equal(unknown.status, 400);
});

test('each request’s metrics reach the agent with Kong’s names, types and tags', async () => {
  const r = await sendThrough(s.dp.proxyUrl, '/billing/x', {
    method: 'POST',
    headers: { apikey: 'alice-key' },
    body: 'hello',
  });
  assert.equal(r.status, 200);
  await waitFor('six metrics', async () => lines.length >= 6);
  const byName = new Map(lines.map((l) => [l.split(':')[0], l]));
  const tags = '#name:billing_api,status:200,consumer:cust-1,app:kong';
  assert.equal(byName.get('kong.request.count'), `kong.request.count:1|c|${tags}`);
  assert.equal(byName.get('kong.request.size'), `kong.request.size:5|ms|${tags}`);
  assert.match(byName.get('kong.response.size')!, new RegExp(`^kong\\.response\\.size:\\d+\\|ms\\|${tags}$`));
  for (const timer of ['kong.latency', 'kong.upstream_latency', 'kong.kong_latency'])
    assert.match(byName.get(timer)!, new RegExp(`^${timer.replace(/\./g, '\\.')}:\\d+\\|ms\\|${tags}$`));
  // A refused request is measured too, with its status and no consumer.
  lines.length = 0;
  assert.equal((await sendThrough(s.dp.proxyUrl, '/billing')).status, 401);
  await waitFor('the refusal’s metrics', async () => lines.length >= 5);
  assert.ok(
    lines.some((l) => l === 'kong.request.count:1|c|#name:billing_api,status:401,app:kong'),
    lines.join('\n'),
  );
});

test('a decK file with datadog: sync and a clean diff', async () => {
  await syncCleanly(s, [
    '_format_version: "3.0"',
    '_info:',
    '  select_tags: [deck-dd]',
    'plugins:',
    '  - name: datadog',
    '    config:',
    '      host: 127.0.0.1',
    '      port: 9125',
    '      metrics:',
    '        - { name: request_count, stat_type: counter, sample_rate: 0.5, tags: [team:mcp] }',
  ]);
});
