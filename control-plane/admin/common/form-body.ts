/**
 * Kong's form-urlencoded bodies: dotted keys nest (`config.key_names=apikey`), repeated keys and
 * `key[]` / `key[1]` (1-based, as in Kong) build arrays. Values stay strings; the schema coerces.
 */
type Token = string | number | null; // null: append

function tokenize(key: string): Token[] {
  const out: Token[] = [];
  for (const part of key.split('.')) {
    const m = /^([^[\]]*)((?:\[\d*\])*)$/.exec(part);
    if (!m) return [];
    if (m[1]) out.push(m[1]);
    for (const idx of m[2].match(/\[(\d*)\]/g) ?? []) {
      const n = idx.slice(1, -1);
      if (n !== '' && Number(n) > 1000) return []; // no sparse monsters from `a[4294967295]=x`
      out.push(n === '' ? null : Math.max(0, Number(n) - 1));
    }
  }
  return out;
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

export function parseFormBody(raw: string): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const toks = tokenize(key);
    if (
      !toks.length ||
      typeof toks[0] !== 'string' ||
      toks.some((t) => typeof t === 'string' && FORBIDDEN.has(t))
    )
      continue;
    let node: any = out;
    for (let i = 0; i < toks.length - 1; i++) {
      const tok = toks[i];
      const wantArray = typeof toks[i + 1] !== 'string';
      const slot = tok === null ? node.length : tok;
      if (node[slot as any] === undefined || typeof node[slot as any] !== 'object')
        node[slot as any] = wantArray ? [] : {};
      node = node[slot as any];
    }
    const last = toks[toks.length - 1];
    if (last === null) {
      if (Array.isArray(node)) node.push(value);
    } else if (typeof last === 'number') {
      node[last] = value;
    } else if (node[last] === undefined) {
      node[last] = value;
    } else if (Array.isArray(node[last])) {
      node[last].push(value);
    } else {
      node[last] = [node[last], value];
    }
  }
  return out;
}
