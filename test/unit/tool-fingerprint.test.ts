import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffTools, fingerprint, toolDefinition } from '../../shared/mcp/tool-fingerprint';
import { Registry } from 'prom-client';
import { MAX_REMEMBERED, toolInventoryOf } from '../../data-plane/mcp/tool-inventory';
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
    return true;
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

test('nothing is forgotten to make room: past the bound a list is refused, and what was seen stays', () => {
  const runtime = new ProcessPluginRuntime(new Registry(), () => true);
  const inv = toolInventoryOf(runtime);
  const many = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      name: `t${from + i}`,
      description: 'x',
      inputSchema: { type: 'object' },
    }));
  assert.equal(inv.observe('r1', many(0, MAX_REMEMBERED - 1), true, 1), null);
  inv.observe('r1', [{ name: 't0', description: 'changed', inputSchema: { type: 'object' } }], false, 2);
  const refused = inv.observe('r2', many(0, 2), true, 3);
  assert.match(String(refused), /keeps at most 20000 tools/);
  assert.equal(inv.local('r1', 't0')?.definition.description, 'changed', 'the change is still known');
  assert.equal(inv.local('r2', 't0'), undefined);
  // Tools it already knows are still checked and shown.
  assert.equal(inv.observe('r1', many(5, 3), false, 4), null);
});

test('a list the control plane cannot be told of is refused; a large one goes in parts', () => {
  let accept = false;
  const sent: ToolObservation[] = [];
  const runtime = new ProcessPluginRuntime(new Registry(), (_kind, data) => {
    if (accept) sent.push(data as ToolObservation);
    return accept;
  });
  const inv = toolInventoryOf(runtime);
  assert.match(String(inv.observe('r1', [tool], true, 1)), /cannot report this tool list/);
  accept = true;
  assert.equal(inv.observe('r1', [tool], true, 2), null, 'reported once the outbox takes it');
  assert.equal(sent.length, 1);
  const big = Array.from({ length: 400 }, (_, i) => ({
    name: `big${i}`,
    description: 'd'.repeat(4000),
    inputSchema: { type: 'object' },
  }));
  sent.length = 0;
  assert.equal(inv.observe('r1', big, true, 3), null);
  assert.ok(sent.length > 1, `${sent.length} parts`);
  assert.equal(sent.flatMap((o) => o.tools).length, 400);
  assert.ok(sent.every((o) => !o.complete && JSON.stringify(o).length <= 512 * 1024));
  const huge = [{ name: 'huge', description: 'h'.repeat(600 * 1024), inputSchema: { type: 'object' } }];
  assert.match(String(inv.observe('r1', huge, true, 4)), /too large for the gateway to check/);
});
