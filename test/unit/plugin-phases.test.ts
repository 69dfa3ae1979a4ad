/**
 * The one phase runner (data-plane/proxy/plugin-phases.ts) with fake plugins: order, what ran,
 * and the one policy for a phase that ends other than normally.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExitSignal, type PluginInstance, type ResponseState } from '../../data-plane/runtime/plugin-api';
import type { CompiledConfig } from '../../data-plane/runtime/compiled-config';
import type { Slot } from '../../data-plane/runtime/plugin-chain';
import {
  filterWholeBody,
  phaseAnswer,
  PluginFailure,
  runAccess,
  runBeforeUpstream,
  runHeaderFilters,
  runLogHooks,
} from '../../data-plane/proxy/plugin-phases';
import { BodyTooLarge } from '../../data-plane/proxy/body';

const rc = { requestId: 'req-1' } as any;
const trail: string[] = [];

function plugin(name: string, priority: number, hooks: Partial<PluginInstance> = {}): PluginInstance {
  return {
    name,
    priority,
    access: async () => void trail.push(`access:${name}`),
    beforeUpstream: () => void trail.push(`last:${name}`),
    headerFilter: () => void trail.push(`header:${name}`),
    ...hooks,
  } as PluginInstance;
}

// The chain resolves each slot to its base instance (no consumer-scoped instances here).
const config = { plugins: { resolve: (slot: Slot) => slot.base } } as unknown as CompiledConfig;
const slotsOf = (...ps: PluginInstance[]) => ps.map((p) => ({ name: p.name, base: p }) as unknown as Slot);

test('access runs the chain in order from a position, records what ran, and lets `include` pass one by', async () => {
  trail.length = 0;
  const [a, b, c, d] = [plugin('a', 4), plugin('b', 3), plugin('c', 2), plugin('d', 1)];
  const executed: PluginInstance[] = [];
  await runAccess(config, slotsOf(a, b, c, d), rc, executed, 1, (p) => p.name !== 'c');
  assert.deepEqual(trail, ['access:b', 'access:d']);
  assert.deepEqual(
    executed.map((p) => p.name),
    ['b', 'd'],
  );
  runBeforeUpstream(executed, rc);
  assert.deepEqual(trail.slice(2), ['last:b', 'last:d']);
});

test('a plugin that throws is named with its phase; later plugins do not run', async () => {
  trail.length = 0;
  const boom = plugin('boom', 2, {
    access: async () => {
      throw new TypeError('no such property');
    },
  });
  const executed: PluginInstance[] = [];
  const err = await runAccess(config, slotsOf(boom, plugin('after', 1)), rc, executed).catch((e) => e);
  assert.ok(err instanceof PluginFailure);
  assert.equal(err.plugin, 'boom');
  assert.equal(err.phase, 'access');
  assert.deepEqual(trail, []);

  const state: ResponseState = { status: 200, headers: {}, source: 'upstream' };
  const header = plugin('bad-header', 1, {
    headerFilter: () => {
      throw new Error('nope');
    },
  });
  assert.throws(
    () => runHeaderFilters([plugin('ok', 2), header], rc, state),
    (e: any) => e instanceof PluginFailure && e.plugin === 'bad-header' && e.phase === 'headerFilter',
  );
});

test('an exit passes through the runner untouched and is answered as the plugin asked', async () => {
  const exit = new ExitSignal(429, '{"message":"API rate limit exceeded"}', { 'retry-after': '1' });
  const limiter = plugin('rate-limiting', 1, {
    access: async () => {
      throw exit;
    },
  });
  const err = await runAccess(config, slotsOf(limiter), rc, []).catch((e) => e);
  assert.equal(err, exit);
  assert.deepEqual(phaseAnswer(err, 'req-1'), {
    status: 429,
    body: '{"message":"API rate limit exceeded"}',
    headers: { 'retry-after': '1' },
  });
});

test('one status mapping: plugin failure 500 (logged once), body too large 413, anything else is not a phase answer', () => {
  const logged: string[] = [];
  const failure = new PluginFailure('datakit', 'bodyFilter', new Error('jq: cannot index'));
  const answer = phaseAnswer(failure, 'req-9', (l) => logged.push(l))!;
  assert.equal(answer.status, 500);
  assert.deepEqual(JSON.parse(String(answer.body)), {
    message: 'An unexpected error occurred',
    request_id: 'req-9',
  });
  assert.equal(logged.length, 1);
  assert.match(logged[0], /plugin datakit failed in bodyFilter: Error: jq: cannot index/);
  assert.equal(phaseAnswer(new BodyTooLarge(), 'req-9')!.status, 413);
  assert.equal(phaseAnswer(new Error('ECONNREFUSED'), 'req-9'), null);
});

test('whole bodies go through the rewriting plugins in order; a failing one is named', async () => {
  const state: ResponseState = { status: 200, headers: {}, source: 'upstream' };
  const upper = plugin('upper', 2, {
    wantsResponseBody: () => true,
    transformBody: (_rc, _s, b) => Buffer.from(b.toString().toUpperCase()),
  });
  const suffix = plugin('suffix', 1, {
    wantsResponseBody: () => true,
    transformBody: (_rc, _s, b) => Buffer.concat([b, Buffer.from('!')]),
  });
  assert.equal(String(await filterWholeBody([upper, suffix], rc, state, Buffer.from('hi'))), 'HI!');
  const broken = plugin('broken', 1, {
    wantsResponseBody: () => true,
    transformBody: () => {
      throw new Error('bad');
    },
  });
  const err = await filterWholeBody([upper, broken], rc, state, Buffer.from('x')).catch((e) => e);
  assert.ok(err instanceof PluginFailure && err.plugin === 'broken' && err.phase === 'bodyFilter');
});

test('the log phase runs every hook; a failing one is logged and the rest still run', () => {
  const ran: string[] = [];
  const logged: string[] = [];
  const state: ResponseState = { status: 200, headers: {}, source: 'upstream' };
  runLogHooks(
    [
      plugin('first', 2, {
        log: () => {
          throw new Error('disk full');
        },
      }),
      plugin('second', 1, { log: () => void ran.push('second') }),
    ],
    rc,
    state,
    { totalMs: 1, upstreamMs: null, gatewayMs: 1, requestBytes: 0, responseBytes: 0 },
    (l) => logged.push(l),
  );
  assert.deepEqual(ran, ['second']);
  assert.deepEqual(logged, ['plugin first log phase: disk full']);
});
