/**
 * The strict JSON reader's fast path (one native scan, then JSON.parse) must give exactly what
 * the AST walk gives, value and canonical text, or step aside: checked on generated documents,
 * including the ones it must step aside for (duplicates, `__proto__`, integer-like keys,
 * surrogate escapes, numbers JavaScript would write differently).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStrictJson } from '../../data-plane/mcp/jsonrpc';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const KEYS = ['a', 'name', 'id', 'x\\u0041', '__proto__', '1', '01', 'method', 'a b', 'é', '{"', ':', 'k\\n'];
const NUMBERS = ['0', '-0', '1', '-12', '1.5', '1.50', '1e3', '1E3', '2.5e-7', '12345678901234567890', '0.1'];
const STRINGS = [
  '""',
  '"x"',
  '"a\\"b"',
  '"{\\"k\\":1}"',
  '"\\ud83d\\ude00"',
  '"\\ud800"',
  '"tab\\t"',
  '"😀"',
];

function doc(r: () => number, depth = 0): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const roll = r();
  if (depth > 3 || roll < 0.3) return pick([...NUMBERS, ...STRINGS, 'true', 'false', 'null']);
  if (roll < 0.55) {
    const n = Math.floor(r() * 4);
    return `[${Array.from({ length: n }, () => doc(r, depth + 1)).join(pick([',', ' , ']))}]`;
  }
  const n = Math.floor(r() * 4);
  const members = Array.from({ length: n }, () => `"${pick(KEYS)}"${pick([':', ' : '])}${doc(r, depth + 1)}`);
  return `{${members.join(',')}}`;
}

test('fast path and AST walk agree on value and canonical text, on 20,000 documents', () => {
  const r = rng(42);
  let fastTaken = 0;
  for (let i = 0; i < 20000; i++) {
    const text = doc(r);
    const slow = parseStrictJson(text, { fastPath: false });
    const fast = parseStrictJson(text);
    if ('code' in slow) {
      assert.ok('code' in fast, `only the fast path accepted ${text}`);
      assert.equal(fast.message, slow.message, text);
      continue;
    }
    assert.ok(!('code' in fast), `only the AST walk accepted ${text}`);
    assert.equal(fast.json, slow.json, text);
    assert.deepEqual(fast.value, slow.value, text);
    if (JSON.stringify(JSON.parse(text)) === fast.json) fastTaken++;
  }
  assert.ok(fastTaken > 1000, `the generator exercises the fast path (${fastTaken})`);
});

test('what the fast path must leave to the AST walk is still refused or kept exact', () => {
  for (const [text, expect] of [
    ['{"a":1,"a":2}', /duplicate key 'a'/],
    ['{"a":1,"\\u0061":2}', /duplicate key 'a'/],
    ['{"x":{"__proto__":{}}}', /key '__proto__'/],
    ['{"s":"\\ud800"}', /lone surrogate/],
  ] as const) {
    const r = parseStrictJson(text);
    assert.ok('code' in r, text);
    assert.match(r.message, expect);
  }
  const big = parseStrictJson('{"id":12345678901234567890,"v":1.50}');
  assert.ok(!('code' in big));
  assert.equal(big.json, '{"id":12345678901234567890,"v":1.50}');
  const order = parseStrictJson('{"b":1,"1":2}');
  assert.ok(!('code' in order));
  assert.equal(order.json, '{"b":1,"1":2}');
});
