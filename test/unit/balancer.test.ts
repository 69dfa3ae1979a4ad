/** The balancer's parts on their own: the ring, the algorithms, health counting, session tags. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeEntity } from '../../shared/entities/normalize';
import { upstreamEntity } from '../../shared/entities';
import type { Upstream } from '../../shared/entities/upstream';
import { Continuum } from '../../data-plane/balancer/hashing';
import { TargetHealth } from '../../data-plane/balancer/target-health';
import {
  UpstreamBalancer,
  targetTag,
  type BalancedTarget,
} from '../../data-plane/balancer/upstream-balancer';
import { readTag, tagged } from '../../data-plane/balancer/session-affinity';
import { mergeHealth } from '../../data-plane/balancer/merged-health';

function upstream(fields: Record<string, unknown>): Upstream {
  const r = normalizeEntity(upstreamEntity, { name: 'u.internal', ...fields });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return { id: '00000000-0000-4000-8000-000000000001', ...r.value } as Upstream;
}

function target(key: string, weight = 100): BalancedTarget {
  const [host, port] = key.split(':');
  return {
    key,
    address: key,
    host,
    name: host,
    port: Number(port),
    weight,
    tag: targetTag('u', key),
    state: { health: new TargetHealth(() => undefined), inFlight: 0, latencyMs: null },
  };
}

const fresh = (hash = '') => ({ hash, tried: new Set<BalancedTarget>() });

test('the ring: the same value reaches the same target; losing a target moves only its values', () => {
  const three = ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80'].map((k) => target(k));
  const ring = new Continuum(three, 10000);
  const again = new Continuum(
    three.map((t) => target(t.key)),
    10000,
  );
  const all = () => true;
  const values = Array.from({ length: 600 }, (_, i) => `session-${i}`);
  const first = values.map((v) => ring.pick(v, all)!.key);
  assert.deepEqual(
    values.map((v) => again.pick(v, all)!.key),
    first,
    'every data plane builds the same ring',
  );
  const counts = new Map<string, number>();
  for (const k of first) counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const n of counts.values()) assert.ok(n > 100, `spread: ${[...counts.values()]}`);
  const without = values.map((v) => ring.pick(v, (t) => t.key !== '10.0.0.2:80')!.key);
  values.forEach((_, i) => {
    if (first[i] !== '10.0.0.2:80') assert.equal(without[i], first[i], 'values of live targets stay');
    else assert.notEqual(without[i], '10.0.0.2:80');
  });
});

test('round-robin follows the weights, smoothly; a tried target is picked again only when all were', () => {
  const a = target('a:1', 300);
  const b = target('b:1', 100);
  const lb = new UpstreamBalancer(upstream({}), [a, b]);
  const picks = Array.from({ length: 8 }, () => lb.pick(fresh())!.key);
  assert.equal(picks.filter((k) => k === 'a:1').length, 6);
  assert.notDeepEqual(picks.slice(0, 3), ['a:1', 'a:1', 'a:1'], 'interleaved, not in runs');
  const attempts = fresh();
  attempts.tried.add(a);
  assert.equal(lb.pick(attempts)!.key, 'b:1');
  attempts.tried.add(b);
  assert.ok(lb.pick(attempts), 'every target tried: retries go round again, as Kong’s do');
  a.state.health.set(false);
  b.state.health.set(false);
  assert.equal(lb.pick(attempts), undefined, 'nothing healthy: no peer');
  assert.equal(new UpstreamBalancer(upstream({}), [target('z:1', 0)]).pick(fresh()), undefined);
});

test('least-connections and latency pick the least loaded and the fastest', () => {
  const a = target('a:1');
  const b = target('b:1');
  a.state.inFlight = 3;
  assert.equal(
    new UpstreamBalancer(upstream({ algorithm: 'least-connections' }), [a, b]).pick(fresh())!.key,
    'b:1',
  );
  a.state.latencyMs = 5;
  b.state.latencyMs = 40;
  assert.equal(new UpstreamBalancer(upstream({ algorithm: 'latency' }), [a, b]).pick(fresh())!.key, 'a:1');
});

test('health: consecutive failures against the threshold, a success starts over, probes heal', () => {
  let changes = 0;
  const h = new TargetHealth(() => changes++);
  const passive = { successes: 0, http_failures: 0, tcp_failures: 2, timeouts: 0 };
  assert.equal(h.report('tcp_failure', passive), false);
  h.report('success', passive);
  h.report('tcp_failure', passive);
  assert.equal(h.healthy, true, 'a success in between starts the count over');
  assert.equal(h.report('tcp_failure', passive), true);
  assert.equal(h.healthy, false);
  assert.equal(h.report('http_failure', passive), false, 'a zero threshold counts nothing');
  const active = { successes: 2, http_failures: 1, tcp_failures: 1, timeouts: 1 };
  h.report('success', active);
  assert.equal(h.healthy, false);
  h.report('success', active);
  assert.equal(h.healthy, true);
  assert.equal(changes, 2);
});

test('an upstream below its threshold (percent of weight healthy) picks nothing', () => {
  const a = target('a:1', 100);
  const b = target('b:1', 300);
  const lb = new UpstreamBalancer(upstream({ healthchecks: { threshold: 50 } }), [a, b]);
  a.state.health.set(false);
  assert.equal(lb.pick(fresh())!.key, 'b:1');
  a.state.health.set(true);
  b.state.health.set(false);
  assert.equal(lb.healthy, false, '25 % healthy is below 50');
  assert.equal(lb.pick(fresh()), undefined);
});

test('session tags: the value comes back untagged with its target; unknown tags stay as they are', () => {
  const a = target('a:1');
  const b = target('b:1');
  const lb = new UpstreamBalancer(upstream({ hash_on: 'header', hash_on_header: 'mcp-session-id' }), [a, b]);
  const value = tagged('abc-123', b);
  assert.match(value, /^abc-123~t[0-9a-f]{8}$/);
  assert.equal(tagged(value, a), `abc-123~t${a.tag}`, 'retagged, never stacked');
  assert.deepEqual(readTag(value, lb), { value: 'abc-123', target: b });
  assert.deepEqual(readTag('abc~tdeadbeef', lb), { value: 'abc~tdeadbeef' });
  const attempts = { ...fresh('abc-123'), preferred: b };
  assert.equal(lb.pick(attempts), b);
  b.state.health.set(false);
  assert.notEqual(lb.pick(attempts), b, 'not while it is down');
});

test('a node over its workers: unhealthy when any worker finds it so', () => {
  const merged = mergeHealth([
    { upstreams: { u: { healthy: true, checked: true, targets: { 'a:1': 'HEALTHY', 'b:1': 'UNHEALTHY' } } } },
    { upstreams: { u: { healthy: false, checked: true, targets: { 'a:1': 'HEALTHY', 'b:1': 'HEALTHY' } } } },
  ]);
  assert.deepEqual(merged.upstreams.u, {
    healthy: false,
    checked: true,
    targets: { 'a:1': 'HEALTHY', 'b:1': 'UNHEALTHY' },
    addresses: {},
  });
});

test("workers' address lists merge by address: one worker's UNHEALTHY wins, the target follows Kong's rule", () => {
  const list = (h1: 'HEALTHY' | 'UNHEALTHY', h2: 'HEALTHY' | 'UNHEALTHY') => [
    { ip: '127.0.0.1', port: 9000, weight: 100, health: h1 },
    { ip: '127.0.0.2', port: 9000, weight: 100, health: h2 },
  ];
  const report = (h1: 'HEALTHY' | 'UNHEALTHY', h2: 'HEALTHY' | 'UNHEALTHY') => ({
    upstreams: {
      u: {
        healthy: true,
        checked: true,
        targets: { 'svc.test:9000': 'HEALTHY' as const },
        addresses: { 'svc.test:9000': { dns: 'A', list: list(h1, h2) } },
      },
    },
  });
  const one = mergeHealth([report('HEALTHY', 'HEALTHY'), report('UNHEALTHY', 'HEALTHY')]);
  assert.deepEqual(one.upstreams.u.addresses!['svc.test:9000'].list, list('UNHEALTHY', 'HEALTHY'));
  assert.equal(
    one.upstreams.u.targets['svc.test:9000'],
    'HEALTHY',
    'one healthy address keeps the target healthy',
  );
  const both = mergeHealth([report('HEALTHY', 'UNHEALTHY'), report('UNHEALTHY', 'HEALTHY')]);
  assert.equal(both.upstreams.u.targets['svc.test:9000'], 'UNHEALTHY');
});
