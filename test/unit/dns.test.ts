/**
 * Target names resolved as Kong's DNS client resolves them, against a real DNS server on
 * loopback: A and SRV answers (best priority, weight 0 as 1, own ports), the type that answered
 * last asked first, CNAME chains, NXDOMAIN, truncation answered over TCP, the hosts file before
 * any server, search domains; and the cache balancers use: TTL refresh, stale answers while
 * servers fail, forgotten names.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DnsResolver } from '../../data-plane/dns/dns-resolver';
import { DEFAULT_DNS_OPTIONS, dnsOptionsFromEnv, type DnsOptions } from '../../data-plane/dns/dns-options';
import { ResolvedNames } from '../../data-plane/dns/resolved-names';
import { readHostsFile } from '../../data-plane/dns/system-files';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

let dns: TestDnsServer;
before(async () => {
  dns = await startDnsServer();
});
after(() => dns.close());

function resolver(o: Partial<DnsOptions> = {}, search: string[] = []) {
  const options = { ...DEFAULT_DNS_OPTIONS, resolvers: [{ host: '127.0.0.1', port: dns.port }], ...o };
  return new DnsResolver(options, {
    hosts: new Map(),
    conf: { nameservers: [], search, ndots: 1, timeoutMs: 500, attempts: 1 },
  });
}

const ips = (r: Awaited<ReturnType<DnsResolver['resolve']>>) =>
  r.ok ? r.addresses.map((a) => `${a.ip}|${a.port ?? ''}|${a.weight ?? ''}`).sort() : r.error;

test('A records: every address, the smallest TTL; the type that answered is asked first next time', async () => {
  dns.set('svc.test', [
    { type: 'A', ttl: 30, data: '127.0.0.1' },
    { type: 'A', ttl: 10, data: '127.0.0.2' },
  ]);
  const r = resolver();
  const first = await r.resolve('svc.test');
  assert.ok(first.ok && first.type === 'A' && first.ttl === 10, JSON.stringify(first));
  assert.deepEqual(ips(first), ['127.0.0.1||', '127.0.0.2||']);
  dns.asked.length = 0;
  await r.resolve('svc.test');
  assert.deepEqual(
    dns.asked.map((q) => q.type),
    ['A'],
    'LAST: no SRV question once A answered',
  );
  const valid = await resolver({ validTtl: 300 }).resolve('svc.test');
  assert.equal(valid.ok && valid.ttl, 300, 'dns_valid_ttl replaces the record TTL');
});

test('SRV: the best priority only, its ports and weights (0 counts as 1), targets resolved', async () => {
  dns.set('_mcp._tcp.srv.test', [
    { type: 'SRV', ttl: 20, data: { priority: 10, weight: 0, port: 9001, target: 'a.srv.test' } },
    { type: 'SRV', ttl: 20, data: { priority: 10, weight: 5, port: 9002, target: 'b.srv.test' } },
    { type: 'SRV', ttl: 20, data: { priority: 20, weight: 50, port: 9003, target: 'c.srv.test' } },
  ]);
  dns.set('a.srv.test', [{ type: 'A', ttl: 5, data: '127.0.0.3' }]);
  dns.set('b.srv.test', [{ type: 'A', data: '127.0.0.4' }]);
  dns.set('c.srv.test', [{ type: 'A', data: '127.0.0.5' }]);
  const r = await resolver().resolve('_mcp._tcp.srv.test');
  assert.ok(r.ok && r.type === 'SRV', JSON.stringify(r));
  assert.deepEqual(ips(r), ['127.0.0.3|9001|1', '127.0.0.4|9002|5']);
  assert.equal(r.ok && r.ttl, 5, "the TTL is the smallest of the SRV and its targets' records");
});

test('CNAME chains are followed; a name that exists nowhere is not found; servers failing are errors', async () => {
  dns.set('alias.test', [{ type: 'CNAME', data: 'svc.test' }]);
  assert.deepEqual(ips(await resolver().resolve('alias.test')), ['127.0.0.1||', '127.0.0.2||']);
  const missing = await resolver().resolve('nothing.test');
  assert.ok(!missing.ok && missing.notFound, JSON.stringify(missing));
  dns.failing = true;
  try {
    const failing = await resolver().resolve('svc.test');
    assert.ok(!failing.ok && !failing.notFound, JSON.stringify(failing));
    assert.match(failing.ok ? '' : failing.error, /SERVFAIL/);
  } finally {
    dns.failing = false;
  }
});

test('a truncated UDP answer is asked again over TCP', async () => {
  dns.set('big.test', [{ type: 'A', data: '127.0.0.9' }]);
  dns.truncate.add('big.test');
  dns.asked.length = 0;
  assert.deepEqual(ips(await resolver({ order: ['A'] }).resolve('big.test')), ['127.0.0.9||']);
  assert.deepEqual(
    dns.asked.map((q) => q.tcp),
    [false, true],
  );
});

test('the hosts file answers before any server; search domains complete short names', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-dns-'));
  writeFileSync(
    join(dir, 'hosts'),
    '# test\n127.0.0.7 replica.local replica\n::1 replica.local\nnot-an-ip bad\n',
  );
  const hosts = readHostsFile(join(dir, 'hosts'));
  assert.deepEqual(hosts.get('replica.local'), { ipv4: ['127.0.0.7'], ipv6: ['::1'] });
  assert.equal(hosts.has('bad'), false);
  const r = new DnsResolver(
    { ...DEFAULT_DNS_OPTIONS, resolvers: [{ host: '127.0.0.1', port: dns.port }] },
    { hosts, conf: { nameservers: [], search: [], ndots: 1, timeoutMs: 500, attempts: 1 } },
  );
  dns.asked.length = 0;
  assert.deepEqual(ips(await r.resolve('replica')), ['127.0.0.7||']);
  assert.equal(dns.asked.length, 0, 'no question for a hosts-file name');

  dns.set('api.corp.test', [{ type: 'A', data: '127.0.0.8' }]);
  assert.deepEqual(ips(await resolver({}, ['corp.test']).resolve('api')), ['127.0.0.8||']);
});

test('the cache: refreshed when the TTL runs out, stale while servers fail, dropped when the name goes', async () => {
  let now = 1_000_000;
  dns.set('cache.test', [{ type: 'A', ttl: 2, data: '127.0.0.1' }]);
  const names = new ResolvedNames(
    resolver({ order: ['A'] }),
    { staleTtl: 10, notFoundTtl: 30, errorTtl: 1 },
    () => now,
  );
  let changes = 0;
  names.onChange = () => changes++;
  await names.ensure(['cache.test'], 5000);
  assert.deepEqual(ips(names.get('cache.test')!), ['127.0.0.1||']);
  assert.deepEqual(names.due(['cache.test']), [], 'not due before its TTL');
  now += 2000;
  assert.deepEqual(names.due(['cache.test']), ['cache.test']);
  dns.set('cache.test', [
    { type: 'A', ttl: 2, data: '127.0.0.1' },
    { type: 'A', ttl: 2, data: '127.0.0.2' },
  ]);
  assert.equal(await names.refresh('cache.test'), true);
  assert.equal(await names.refresh('cache.test'), false, 'the same answer is no change');
  assert.deepEqual(ips(names.get('cache.test')!), ['127.0.0.1||', '127.0.0.2||']);

  dns.failing = true;
  now += 5000;
  assert.equal(await names.refresh('cache.test'), false, 'a failing server keeps the last answer');
  assert.ok(names.get('cache.test')!.ok);
  now += 20_000;
  assert.equal(await names.refresh('cache.test'), true, 'past dns_stale_ttl the answer is dropped');
  assert.equal(names.get('cache.test')!.ok, false);
  dns.failing = false;
  await names.refresh('cache.test');
  assert.ok(names.get('cache.test')!.ok);
  dns.zone.delete('cache.test');
  now += 5000;
  assert.equal(await names.refresh('cache.test'), true, 'a name that is gone has no addresses');
  assert.equal(names.get('cache.test')!.ok, false);
  assert.equal(changes, 5, 'each change of the answer in use, the first answer included');
  names.keepOnly(new Set());
  assert.equal(names.get('cache.test'), undefined);
});

test('a config waits for a name’s first answer only, never for the refresh of a name whose servers are down', async () => {
  let release: () => void = () => undefined;
  const slow = {
    resolve: () =>
      new Promise<Awaited<ReturnType<DnsResolver['resolve']>>>((r) => {
        release = () => r({ ok: false, notFound: false, error: 'timeout' });
      }),
  };
  const names = new ResolvedNames(slow, { staleTtl: 10, notFoundTtl: 30, errorTtl: 1 });
  const turn = () => new Promise((r) => setImmediate(r));
  let first = false;
  const waiting = names.ensure(['down.test'], 60_000).then(() => (first = true));
  await turn();
  assert.equal(first, false, 'the first answer is waited for');
  release();
  await waiting;
  void names.refresh('down.test'); // the background refresh, its servers still silent
  let again = false;
  void names.ensure(['down.test'], 60_000).then(() => (again = true));
  await turn();
  assert.equal(again, true, 'answered once: never waited for again');
  release();
});
test("Kong's dns_* settings from the environment: checked, never a silent default", () => {
  const o = dnsOptionsFromEnv({
    TOLLGATE_DNS_RESOLVER: '127.0.0.1:5353,[::1]:53,10.0.0.1',
    TOLLGATE_DNS_ORDER: 'last,a,srv',
    TOLLGATE_DNS_VALID_TTL: '5',
  });
  assert.deepEqual(o.resolvers, [
    { host: '127.0.0.1', port: 5353 },
    { host: '::1', port: 53 },
    { host: '10.0.0.1', port: 53 },
  ]);
  assert.deepEqual(o.order, ['LAST', 'A', 'SRV']);
  assert.equal(o.validTtl, 5);
  assert.equal(dnsOptionsFromEnv({}).validTtl, null);
  assert.throws(
    () => dnsOptionsFromEnv({ TOLLGATE_DNS_RESOLVER: 'dns.example:53' }),
    /TOLLGATE_DNS_RESOLVER/,
  );
  assert.throws(() => dnsOptionsFromEnv({ TOLLGATE_DNS_ORDER: 'A,MX' }), /TOLLGATE_DNS_ORDER/);
  assert.throws(() => dnsOptionsFromEnv({ TOLLGATE_DNS_STALE_TTL: '-1' }), /TOLLGATE_DNS_STALE_TTL/);
});
