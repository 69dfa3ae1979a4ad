/**
 * Chain resolution (data-plane/runtime/plugin-chain.ts) and the MCP guard chain
 * (data-plane/mcp/guard-chain.ts), with fake plugins: Kong's precedence and priorities,
 * `ordering`, the order rules no `ordering` breaks, and the guards' fixed order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PluginChains } from '../../data-plane/runtime/plugin-chain';
import type { PluginHandler, PluginInstance } from '../../data-plane/runtime/plugin-api';
import { guardChain, type ToolGuard } from '../../data-plane/mcp/guard-chain';

const route = { id: 'r1', service: { id: 's1' } };
const service = { id: 's1' };

/** A handler whose instances name where they were configured. */
function handler(name: string, priority: number, extra: Partial<PluginInstance> = {}): PluginHandler {
  return {
    name,
    create: (entity) =>
      ({
        name,
        priority,
        entity,
        where: entity.route ? 'route' : entity.service ? 'service' : entity.consumer ? 'consumer' : 'global',
        ...extra,
      }) as unknown as PluginInstance,
  };
}

const handlers = new Map(
  [
    handler('key-auth', 1250, { authenticates: true }),
    handler('rate-limiting', 910),
    handler('cors', 2000),
    handler('mcp-tool-pinning', 825),
    handler('ai-mcp-proxy', 820),
  ].map((h) => [h.name, h]),
);
const env = { env: {} } as any;
let ids = 0;
const plugin = (name: string, scope: Record<string, unknown> = {}) => ({
  id: `p${++ids}`,
  name,
  config: {},
  ...scope,
});
const order = (chains: PluginChains) => chains.forRoute(route, service).slots.map((s) => s.name);

test("Kong's precedence: the route's instance, else its service's, else the global one; consumer instances by consumer", () => {
  const chains = new PluginChains(
    [
      plugin('rate-limiting'),
      plugin('rate-limiting', { service: { id: 's1' } }),
      plugin('cors'),
      plugin('rate-limiting', { consumer: { id: 'c1' } }),
      plugin('key-auth', { route: { id: 'r1' } }),
      plugin('key-auth', { service: { id: 's1' } }),
    ] as any,
    handlers,
    env,
  );
  const chain = chains.forRoute(route, service);
  const where = (name: string, ctx: any) =>
    (
      chains.resolve(
        chain.slots.find((s) => s.name === name)!,
        ctx,
      ) as any
    )?.where;
  const anonymous = { route, service, consumer: null, consumerGroups: [] };
  assert.equal(where('key-auth', anonymous), 'route');
  assert.equal(where('rate-limiting', anonymous), 'service');
  assert.equal(where('cors', anonymous), 'global');
  assert.equal(where('rate-limiting', { ...anonymous, consumer: { id: 'c1' } }), 'consumer');
  assert.equal(chain.hasAuth, true);
});

test('priority order, then `ordering`; the order rules hold whatever `ordering` says', () => {
  assert.deepEqual(
    order(
      new PluginChains([plugin('rate-limiting'), plugin('key-auth'), plugin('cors')] as any, handlers, env),
    ),
    ['cors', 'key-auth', 'rate-limiting'],
  );
  // `ordering` may move rate-limiting before key-auth…
  const moved = plugin('rate-limiting', { ordering: { before: { access: ['key-auth'] } } });
  assert.deepEqual(order(new PluginChains([moved, plugin('key-auth')] as any, handlers, env)), [
    'rate-limiting',
    'key-auth',
  ]);
  // …but never ai-mcp-proxy before authentication or before pinning: the rules win.
  const early = plugin('ai-mcp-proxy', {
    ordering: { before: { access: ['key-auth', 'mcp-tool-pinning'] } },
  });
  assert.deepEqual(
    order(new PluginChains([early, plugin('key-auth'), plugin('mcp-tool-pinning')] as any, handlers, env)),
    ['key-auth', 'mcp-tool-pinning', 'ai-mcp-proxy'],
  );
});

/** A guard that records what it was asked. */
function guard(refusal: ToolGuard['refusal'], refuses: string[], asked: string[]): ToolGuard {
  return {
    refusal,
    callRefusal: (tool) => (
      asked.push(`${refusal}:${tool}`),
      refuses.includes(tool) ? `${refusal} ${tool}` : null
    ),
    listed: (name) => !refuses.includes(name),
  };
}

test('the guard chain: the first guard to refuse a call decides, in its fixed order; a listed tool needs every guard', () => {
  const asked: string[] = [];
  const chain = guardChain([
    guard('refused', ['Push_Files'], asked),
    guard('denied', ['push_files', 'Push_Files'], asked),
    guard('held', ['push_files', 'search'], asked),
  ]);
  assert.deepEqual(chain.judgeCall('Push_Files'), { decision: 'refused', message: 'refused Push_Files' });
  assert.deepEqual(chain.judgeCall('push_files'), { decision: 'denied', message: 'denied push_files' });
  assert.deepEqual(chain.judgeCall('search'), { decision: 'held', message: 'held search' });
  assert.deepEqual(chain.judgeCall('echo'), { decision: 'allowed' });
  assert.deepEqual(asked.slice(0, 3), ['refused:Push_Files', 'refused:push_files', 'denied:push_files']);
  assert.equal(chain.listed('echo', {}), true);
  assert.equal(chain.listed('search', {}), false);
  assert.equal(guardChain([]).listed('anything', {}), true);
  // Names a guard vouches for (pinning's cluster-held tools) label metrics; nobody else's do.
  const vouching: ToolGuard = { ...guard('held', [], []), knows: (t) => t === 'search' };
  assert.equal(guardChain([guard('denied', [], []), vouching]).knows('search'), true);
  assert.equal(guardChain([guard('denied', [], []), vouching]).knows('no_such_tool'), false);
});
