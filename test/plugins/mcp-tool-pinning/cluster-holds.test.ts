/** A data plane's view of the cluster's held tools: read from the control plane's pushed state. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { ProcessPluginRuntime } from '../../../data-plane/runtime/plugin-runtime';
import { clusterHoldsOf } from '../../../plugins/mcp-tool-pinning/cluster-holds';

test("the control plane's held tools are read from its pushed state; a wrong shape holds nothing", () => {
  const runtime = new ProcessPluginRuntime(new Registry());
  const holds = clusterHoldsOf(runtime);
  const held = {
    route_id: 'r1',
    name: 'search',
    fingerprint: 'sha256:x',
    seen_at: 1,
    changed: ['description'],
  };
  runtime.setClusterState('mcp_tools', { held: [held] });
  assert.deepEqual(holds.heldInCluster('r1', 'search'), held);
  runtime.setClusterState('mcp_tools', { held: 'nope' });
  assert.equal(holds.heldInCluster('r1', 'search'), undefined);
});

test('one per process, and its counters are on the process registry', async () => {
  const runtime = new ProcessPluginRuntime(new Registry());
  const holds = clusterHoldsOf(runtime);
  assert.equal(clusterHoldsOf(runtime), holds);
  holds.refusedCalls.inc();
  assert.match(await runtime.metrics.metrics(), /^tollgate_mcp_tool_calls_refused_total 1$/m);
});
