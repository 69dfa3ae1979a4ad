import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffTools, fingerprint, toolDefinition } from '../../shared/mcp/tool-fingerprint';
import { Registry } from 'prom-client';
import { toolInventoryOf } from '../../data-plane/mcp/tool-inventory';
import { ProcessPluginRuntime } from '../../data-plane/runtime/plugin-runtime';
import type { ToolObservation } from '../../shared/mcp/tool-fingerprint';

const tool = {
  name: 'search',
  description: 'Search code',
  inputSchema: { type: 'object', properties: { q: { type: 'string' }, limit: { type: 'integer' } } },
  annotations: { readOnlyHint: true },
};

test('key order and whitespace do not count; every chosen member does', () => {
  const reordered = JSON.parse(
    JSON.stringify({
      annotations: { readOnlyHint: true },
      inputSchema: { properties: { limit: { type: 'integer' }, q: { type: 'string' } }, type: 'object' },
      description: 'Search code',
      name: 'search',
    }),
  );
  const a = fingerprint(toolDefinition(tool));
  assert.match(a, /^sha256:[0-9a-f]{64}$/);
  assert.equal(fingerprint(toolDefinition(reordered)), a);
  assert.notEqual(fingerprint(toolDefinition({ ...tool, description: 'Search code ' })), a);
  // Members that are not chosen do not count; _meta and name never do.
  const edited = { ...tool, annotations: { readOnlyHint: false }, _meta: { x: 1 } };
  assert.notEqual(fingerprint(toolDefinition(edited)), a);
  assert.equal(
    fingerprint(toolDefinition(edited), ['description', 'input_schema']),
    fingerprint(toolDefinition(tool), ['description', 'input_schema']),
  );
});

test('the diff names the fields that changed, as RFC 6902 operations', () => {
  const after = { ...tool, inputSchema: { ...tool.inputSchema, required: ['q'] }, title: 'Search' };
  const d = diffTools(toolDefinition(tool), toolDefinition(after));
  assert.deepEqual(d.fields, ['title', 'input_schema']);
  assert.deepEqual(d.patch.map((op) => [op.op, op.path]).sort(), [
    ['add', '/inputSchema/required'],
    ['add', '/title'],
  ]);
});

test('a data plane reports a list when it changes, with each definition once per route', async () => {
  const sent: ToolObservation[] = [];
  const runtime = new ProcessPluginRuntime(new Registry(), (kind, data) => {
    assert.equal(kind, 'mcp_tools');
    sent.push(data as ToolObservation);
  });
  const inv = toolInventoryOf(runtime);
  assert.equal(toolInventoryOf(runtime), inv, 'one per process');
  inv.observe('r1', [tool], true, 1000);
  inv.observe('r1', [tool], true, 2000); // the same list: not again
  assert.equal(sent.length, 1);
  assert.ok(sent[0].tools[0].definition);
  inv.observe('r2', [tool], false, 2000); // another route: its own report, with the definition
  assert.equal(sent.length, 2);
  assert.ok(sent[1].tools[0].definition);
  inv.observe('r1', [tool], true, 70_000); // a minute later: last seen refreshed, no definition
  assert.equal(sent.length, 3);
  assert.equal(sent[2].tools[0].definition, undefined);
  inv.observe('r1', [{ ...tool, description: 'changed' }, { name: 42 }, null], true, 70_001);
  assert.equal(sent.length, 4);
  assert.equal(sent[3].tools.length, 1, 'entries without a string name are not tools');
  assert.ok(sent[3].tools[0].definition);
  assert.match(await runtime.metrics.metrics(), /tollgate_mcp_tool_changes_total 1/);
  assert.equal(inv.local('r1', 'search')?.definition.description, 'changed');
});

test("the control plane's held tools are read from its pushed state; a wrong shape holds nothing", () => {
  const runtime = new ProcessPluginRuntime(new Registry());
  const inv = toolInventoryOf(runtime);
  const held = {
    route_id: 'r1',
    name: 'search',
    fingerprint: 'sha256:x',
    seen_at: 1,
    changed: ['description'],
  };
  runtime.setClusterState('mcp_tools', { held: [held] });
  assert.deepEqual(inv.heldInCluster('r1', 'search'), held);
  runtime.setClusterState('mcp_tools', { held: 'nope' });
  assert.equal(inv.heldInCluster('r1', 'search'), undefined);
});
