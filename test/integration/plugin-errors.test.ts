import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compile } from '../../data-plane/runtime/compiled-config';
import { ConfigHolder } from '../../data-plane/runtime/config-holder';
import { createProxyHandler } from '../../data-plane/proxy/proxy-handler';
import { UpstreamPools } from '../../data-plane/proxy/upstream-pools';
import { ProxyMetrics } from '../../data-plane/status/metrics';
import type { PluginHandler } from '../../data-plane/runtime/plugin-api';
import { hashConfig, type SnapshotConfig } from '../../shared/snapshot';

test('a plugin that throws answers 500 with Kong body; the data plane keeps serving', async () => {
  // A handler registered under a real plugin name, failing on one path.
  const failing: PluginHandler = {
    name: 'cors',
    create: (entity) => ({
      name: 'cors',
      priority: 2000,
      entity,
      access(ctx) {
        if (ctx.path.includes('boom')) throw new Error('plugin bug');
      },
    }),
  };
  const upstream = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  const port = (upstream.address() as AddressInfo).port;
  // Only the fields this test needs: the compiler fills nothing, the data plane reads these.
  const config = {
    _format_version: '3.0',
    services: [{ id: 's', name: 's', protocol: 'http', host: '127.0.0.1', port, path: null, retries: 0 }],
    routes: [
      {
        id: 'r',
        name: 'r',
        protocols: ['http'],
        paths: ['/'],
        service: { id: 's' },
        strip_path: false,
        regex_priority: 0,
        created_at: 1,
      },
    ],
    consumers: [],
    consumer_groups: [],
    consumer_group_consumers: [],
    plugins: [{ id: 'p', name: 'cors', config: {}, enabled: true }],
    keyauth_credentials: [],
  } as unknown as SnapshotConfig;
  const holder = new ConfigHolder();
  holder.swap(
    compile(
      { version: 1, hash: hashConfig(config).hash, config },
      { handlers: new Map([['cors', failing]]) },
    ),
  );
  const logs: string[] = [];
  const pools = new UpstreamPools();
  const proxy = createServer(
    createProxyHandler({ holder, pools, metrics: new ProxyMetrics(), log: (l) => logs.push(l) }, 'http', 0),
  );
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  try {
    const bad = await fetch(`${base}/boom`);
    assert.equal(bad.status, 500);
    const body = (await bad.json()) as any;
    assert.equal(body.message, 'An unexpected error occurred');
    assert.match(body.request_id, /^[0-9a-f-]{36}$/);
    assert.ok(logs.some((l) => l.includes('plugin bug')));
    const good = await fetch(`${base}/fine`);
    assert.equal(good.status, 200);
    assert.equal(await good.text(), 'ok');
  } finally {
    proxy.close();
    upstream.close();
    await pools.close();
  }
});
