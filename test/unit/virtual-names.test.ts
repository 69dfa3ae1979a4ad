import { test } from 'node:test';
import assert from 'node:assert/strict';
import { templateMatches } from '../../plugins/ai-mcp-proxy/virtual-tools';

test('URI templates: literals exactly, a simple expression within one segment, {+x} any text', () => {
  assert.ok(templateMatches('demo://resource/dynamic/text/{id}', 'demo://resource/dynamic/text/1'));
  assert.ok(!templateMatches('demo://resource/dynamic/text/{id}', 'demo://resource/dynamic/text/1/2'));
  assert.ok(templateMatches('file:///{+path}', 'file:///a/b/c.txt'));
  assert.ok(templateMatches('db://{schema}.{table}', 'db://main.users'));
  assert.ok(!templateMatches('db://{schema}.{table}', 'db://main'));
  assert.ok(templateMatches('x://{a}', 'x://'), 'an empty expansion');
  assert.ok(!templateMatches('x://a.b', 'x://aXb'), 'a literal dot is a dot');
  // What a backtracking regex would take quadratic or worse time on: answered, and refused.
  const crafted = `db://${'a.'.repeat(4000)}/`;
  assert.equal(templateMatches('db://{a}.{b}.{c}.{d}', crafted), false);
  assert.equal(templateMatches('db://{a}', `db://${'x'.repeat(9000)}`), false, 'over the length limit');
});
