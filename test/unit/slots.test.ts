/**
 * Typed slots: state handed between plugins by slot object, never by a name configuration
 * could write (kong.ctx.shared).
 */
import type { Route, Service } from '../../data-plane/runtime/entity';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineSlot, SlotValues } from '../../data-plane/runtime/slots';
import { RequestContext } from '../../data-plane/runtime/request-context';

test('a slot is reached by its object only: two slots of one name are apart, ctx.shared never sees them', () => {
  const gates = defineSlot<string[]>('mcp:tool-gates');
  const lookalike = defineSlot<string[]>('mcp:tool-gates');
  const ctx = new RequestContext(
    'req-1',
    {} as any,
    { id: 'r' } as Route,
    { id: 's' } as Service,
    'http',
    { unnamed: [], named: {} },
    { method: 'POST', path: '/', query: '', headers: {} },
  );
  ctx.slots.keep(gates, () => []).push('pinning');
  ctx.shared['mcp:tool-gates'] = 'written by configuration';
  assert.deepEqual(ctx.slots.get(gates), ['pinning']);
  assert.equal(ctx.slots.get(lookalike), undefined);
  assert.equal(Object.keys(ctx.shared).length, 1);
});

test('keep creates once and returns the same value after', () => {
  const values = new SlotValues();
  const counter = defineSlot<{ n: number }>('counter');
  let made = 0;
  const a = values.keep(counter, () => ({ n: ++made }));
  const b = values.keep(counter, () => ({ n: ++made }));
  assert.equal(a, b);
  assert.equal(made, 1);
  values.set(counter, { n: 7 });
  assert.deepEqual(values.get(counter), { n: 7 });
});
