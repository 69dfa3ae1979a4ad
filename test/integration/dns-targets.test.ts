/**
 * Targets that name hosts, resolved as Kong resolves them, through a real data plane and a
 * DNS server on loopback: a name with two A records is two addresses balanced and
 * health-checked on their own (`/health` `data.addresses`, `…/{address}/unhealthy`), a changed
 * answer is followed when its TTL runs out, a name that is gone is Kong's DNS_ERROR and 503,
 * and an SRV name spreads by the records' own ports and weights.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mustCreate, sendThrough, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/topology';
import { startAddressEcho, startDnsServer, type TestDnsServer } from '../helpers/dns-server';
import { DEFAULT_DNS_OPTIONS } from '../../data-plane/dns/dns-options';

let s: Stack;
let dns: TestDnsServer;
const echoes: Awaited<ReturnType<typeof startAddressEcho>>[] = [];
let port = 0;

before(async () => {
  dns = await startDnsServer();
  echoes.push(await startAddressEcho('127.0.0.1'));
  port = echoes[0].port;
  echoes.push(await startAddressEcho('127.0.0.2', port));
  echoes.push(await startAddressEcho('127.0.0.1'));
  s = await startStack({
    dns: { ...DEFAULT_DNS_OPTIONS, resolvers: [{ host: '127.0.0.1', port: dns.port }] },
  });
});
after(async () => {
  for (const e of echoes) await e.close();
  await s?.close();
  await dns?.close();
});

async function spread(path: string, n: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = await sendThrough(s.dp.proxyUrl, path);
    assert.equal(r.status, 200, r.body);
    seen.set(r.json.at, (seen.get(r.json.at) ?? 0) + 1);
  }
  return seen;
}

const health = async (upstream: string) => (await s.api('GET', `/upstreams/${upstream}/health`)).body.data[0];

test('a hostname target is every address it resolves to, each with its own health', async () => {
  dns.set('replicas.test', [
    { type: 'A', ttl: 1, data: '127.0.0.1' },
    { type: 'A', ttl: 1, data: '127.0.0.2' },
  ]);
  await mustCreate(s.api, '/upstreams', {
    name: 'replicas.internal',
    healthchecks: { passive: { unhealthy: { tcp_failures: 1 } } },
  });
  const target = `replicas.test:${port}`;
  await mustCreate(s.api, '/upstreams/replicas.internal/targets', { target });
  await mustCreate(s.api, '/services', { name: 'replicas', host: 'replicas.internal', port: 80 });
  await mustCreate(s.api, '/services/replicas/routes', { name: 'replicas', paths: ['/r'] });
  await s.synced();

  const seen = await spread('/r', 20);
  assert.deepEqual([...seen.keys()].sort(), [`127.0.0.1:${port}`, `127.0.0.2:${port}`]);
  assert.equal(seen.get(`127.0.0.1:${port}`), 10, 'equal weights: round-robin over the addresses');
  const hostSeen = (await sendThrough(s.dp.proxyUrl, '/r')).json.host;
  assert.equal(hostSeen, target, "the Host header is the target's name, not the address");

  await waitFor(
    'both addresses reported',
    async () => (await health('replicas.internal'))?.data?.addresses?.length === 2,
  );
  const h = await health('replicas.internal');
  assert.equal(h.health, 'HEALTHY');
  assert.equal(h.data.dns, 'A');
  assert.deepEqual(h.data.addresses.map((a: any) => `${a.ip}:${a.port} ${a.weight} ${a.health}`).sort(), [
    `127.0.0.1:${port} 100 HEALTHY`,
    `127.0.0.2:${port} 100 HEALTHY`,
  ]);

  // One address marked down by hand: the other keeps the target healthy and takes the traffic.
  const down = await s.api(
    'PUT',
    `/upstreams/replicas.internal/targets/${target}/127.0.0.2:${port}/unhealthy`,
  );
  assert.equal(down.status, 204, down.text);
  await waitFor('the marked address left out', async () => {
    const only = await spread('/r', 6);
    return only.size === 1 && only.has(`127.0.0.1:${port}`);
  });
  await waitFor('its health reported', async () => {
    const now = await health('replicas.internal');
    return now.data.addresses.some((a: any) => a.ip === '127.0.0.2' && a.health === 'UNHEALTHY');
  });
  assert.equal(
    (await health('replicas.internal')).health,
    'HEALTHY',
    'one healthy address keeps the target healthy',
  );
  const stranger = await s.api(
    'PUT',
    `/upstreams/replicas.internal/targets/${target}/10.9.9.9:${port}/unhealthy`,
  );
  assert.equal(stranger.status, 400, 'an address the target did not resolve to');
  const name = await s.api('PUT', `/upstreams/replicas.internal/targets/${target}/replicas.test/unhealthy`);
  assert.equal(name.status, 400, 'an address is an IP');
  assert.equal((await s.api('PUT', `/upstreams/replicas.internal/targets/${target}/healthy`)).status, 204);
  await waitFor('every address back', async () => (await spread('/r', 6)).size === 2);
});

test('a changed answer is followed when its TTL runs out; a name that is gone is DNS_ERROR and 503', async () => {
  dns.set('replicas.test', [{ type: 'A', ttl: 1, data: '127.0.0.2' }]);
  await waitFor('only the address DNS now gives', async () => {
    const only = await spread('/r', 4);
    return only.size === 1 && only.has(`127.0.0.2:${port}`);
  });
  await waitFor(
    'one address reported',
    async () => (await health('replicas.internal')).data.addresses.length === 1,
  );

  dns.zone.delete('replicas.test');
  await waitFor('no address left', async () => (await sendThrough(s.dp.proxyUrl, '/r')).status === 503);
  const r = await sendThrough(s.dp.proxyUrl, '/r');
  assert.equal(r.json.message, 'failure to get a peer from the ring-balancer');
  await waitFor('DNS_ERROR reported', async () => (await health('replicas.internal')).health === 'DNS_ERROR');

  // (A name not found is remembered for dns_not_found_ttl, 30 s by default, as Kong's is.)
});

test('an SRV name spreads by its records: their ports, their weights', async () => {
  const other = echoes[2].port;
  dns.set('_mcp._tcp.replicas.test', [
    { type: 'SRV', ttl: 30, data: { priority: 1, weight: 30, port, target: 'one.replicas.test' } },
    { type: 'SRV', ttl: 30, data: { priority: 1, weight: 10, port: other, target: '127.0.0.1' } },
  ]);
  dns.set('one.replicas.test', [{ type: 'A', ttl: 30, data: '127.0.0.2' }]);
  await mustCreate(s.api, '/upstreams', { name: 'srv.internal' });
  await mustCreate(s.api, '/upstreams/srv.internal/targets', { target: '_mcp._tcp.replicas.test:80' });
  await mustCreate(s.api, '/services', { name: 'srv', host: 'srv.internal', port: 80 });
  await mustCreate(s.api, '/services/srv/routes', { name: 'srv', paths: ['/srv'] });
  await s.synced();
  const seen = await spread('/srv', 40);
  assert.equal(seen.get(`127.0.0.2:${port}`), 30, [...seen].join(' '));
  assert.equal(seen.get(`127.0.0.1:${other}`), 10);
  await waitFor('SRV addresses reported', async () => (await health('srv.internal'))?.data?.dns === 'SRV');
  const h = await health('srv.internal');
  assert.deepEqual(h.data.addresses.map((a: any) => `${a.ip}:${a.port}/${a.weight}`).sort(), [
    `127.0.0.1:${other}/10`,
    `127.0.0.2:${port}/30`,
  ]);
  assert.equal(h.health, 'HEALTHCHECKS_OFF');

  // use_srv_name: the Host header is the SRV record's target, not the target's name.
  const hostOf = async () => {
    for (let i = 0; i < 8; i++) {
      const r = await sendThrough(s.dp.proxyUrl, '/srv');
      if (r.json.at === `127.0.0.2:${port}`) return r.json.host;
    }
    return null;
  };
  const before = await hostOf();
  assert.equal(before, `_mcp._tcp.replicas.test:${port}`);
  assert.equal((await s.api('PATCH', '/upstreams/srv.internal', { use_srv_name: true })).status, 200);
  await s.synced();
  const after = await hostOf();
  assert.equal(after, `one.replicas.test:${port}`);
});
