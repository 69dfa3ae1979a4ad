/**
 * Generated jq filters and inputs for the differential test against the real jq binary.
 * Seeded, so a failure names a seed that reproduces it. The grammar covers the subset the
 * engine claims; error-suppressing forms (`?`, `try`, `//`) are generated where nothing
 * downstream can fail, because jq 1.6 (Debian's) lets such a form swallow later errors,
 * which jq 1.7 fixed and Tollgate follows.
 */

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Corpus {
  constructor(private readonly rnd: () => number) {}

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rnd() * items.length)];
  }

  private chance(p: number): boolean {
    return this.rnd() < p;
  }

  input(depth = 3): unknown {
    const scalars = [
      null,
      true,
      false,
      0,
      1,
      2,
      -1,
      3.5,
      10,
      '',
      'a',
      'abc',
      'Hello',
      'A,B',
      '1',
      '12.5',
      'é',
      'x y',
    ];
    if (depth === 0 || this.chance(0.35)) return this.pick(scalars);
    if (this.chance(0.5)) {
      const n = Math.floor(this.rnd() * 4);
      return Array.from({ length: n }, () => this.input(depth - 1));
    }
    const out: Record<string, unknown> = {};
    for (const k of ['a', 'b', 'c', 'x y', 'Authorization'])
      if (this.chance(0.5)) out[k] = this.input(depth - 1);
    return out;
  }

  private literal(): string {
    return this.pick([
      '0',
      '1',
      '2',
      '-1',
      '3.5',
      '"a"',
      '"b"',
      '"A,B"',
      '"Hello"',
      'true',
      'false',
      'null',
      '[]',
      '{}',
      '[1,2]',
      '{"a":1}',
    ]);
  }

  path(depth = 2): string {
    const base = this.pick([
      '.',
      '.a',
      '.b',
      '.c',
      '."x y"',
      '.[0]',
      '.[-1]',
      '.[]',
      '.a.b',
      '.c[0]',
      '.Authorization',
    ]);
    if (depth > 0 && this.chance(0.3)) {
      const next = this.path(depth - 1);
      return next === '.' ? base : `${base} | ${next}`;
    }
    return base;
  }

  /** An expression that cannot raise an error (for safe positions and update bodies). */
  private safeScalar(): string {
    return this.pick([
      'type',
      'tojson',
      '"k"',
      '1',
      'null',
      '[.]',
      '{v: .}',
      '(. == null)',
      'tostring',
      '(tojson | length)',
    ]);
  }

  filter(depth = 3, vars: string[] = []): string {
    if (depth <= 0) {
      const leaves = [this.path(0), this.literal(), '.', ...vars.map((v) => `$${v}`)];
      return this.pick(leaves);
    }
    const d = depth - 1;
    const f = () => this.filter(d, vars);
    const forms: (() => string)[] = [
      () => this.path(),
      () => this.literal(),
      () => `${f()} | ${f()}`,
      () => `(${f()}, ${f()})`,
      () => `(${f()} ${this.pick(['+', '-', '*', '/', '%'])} ${f()})`,
      () => `(${f()} ${this.pick(['==', '!=', '<', '<=', '>', '>='])} ${f()})`,
      () => `(${f()} ${this.pick(['and', 'or'])} ${f()})`,
      () => `[${f()} // ${this.literal()}]`,
      () => `[${f()}]`,
      () => `[(${f()})?]`,
      () => `[try ${this.pick(['error("x")', `(${f()})`])} catch "caught"]`,
      () => `{a: (${f()}), "b": (${f()})}`,
      () => `{(${this.pick(['"k"', '(.|type)', 'tostring'])}): ${this.safeScalar()}}`,
      () => `{a, b}`,
      () => `if ${f()} then ${f()} else ${f()} end`,
      () => `if ${f()} then ${f()} elif ${f()} then ${f()} else ${f()} end`,
      () => {
        const v = `v${vars.length}`;
        return `${this.path()} as $${v} | ${this.filter(d, [...vars, v])}`;
      },
      () =>
        `reduce ${this.pick(['.[]', 'range(4)', '.a[]', '(1,2,3)'])} as $x (${this.pick(['0', 'null', '[]', '""'])}; ${this.pick(['. + $x', '[$x] + .', '. + ($x|tostring)', 'if $x then . else $x end'])})`,
      () => `${this.path()} ${this.pick(['|=', '='])} ${this.safeScalar()}`,
      () => `${this.path()} ${this.pick(['+=', '-=', '*=', '//='])} ${this.literal()}`,
      () => `"s\\(${f()})-\\(${this.safeScalar()})"`,
      () => `@${this.pick(['base64', 'uri', 'html', 'json', 'text'])} "<\\(${f()})>"`,
      () => `(${f()} | @${this.pick(['base64', 'uri', 'html', 'json', 'text'])})`,
      () => `(tostring | @base64 | @base64d)`,
      () =>
        `${this.pick(['map', 'select', 'map_values', 'sort_by', 'group_by', 'unique_by', 'min_by', 'max_by', 'any', 'all', 'first', 'last', 'isempty', 'walk', 'paths'])}(${this.pick([f(), this.safeScalar(), '. != null', 'type == "number"', 'length > 1'])})`,
      () =>
        `(objects | with_entries(${this.pick(['.key |= ascii_downcase', '.value |= tostring', 'select(.value != null)', '.value |= type'])}))`,
      () =>
        `${this.pick(['has', 'contains', 'inside', 'startswith', 'endswith', 'ltrimstr', 'rtrimstr', 'join', 'test', 'in', 'getpath', 'flatten', 'limit', 'error', 'range'])}(${this.builtinArgs()})`,
      () =>
        this.pick([
          'length',
          'utf8bytelength',
          'not',
          'keys',
          'keys_unsorted',
          'type',
          'add',
          'any',
          'all',
          'flatten',
          'sort',
          'unique',
          'min',
          'max',
          '(arrays | reverse)',
          'floor',
          'sqrt',
          'ceil',
          'round',
          'fabs',
          'tostring',
          'tonumber',
          'tojson',
          '(tojson | fromjson)',
          'ascii_downcase',
          'ascii_upcase',
          'explode',
          'to_entries',
          '(objects | to_entries | from_entries)',
          'values',
          'nulls',
          'booleans',
          'numbers',
          'strings',
          'arrays',
          'objects',
          'iterables',
          'scalars',
          '..',
          '[paths]',
          'first',
          'last',
          '[.[]?]',
          '[.. | numbers]',
          `del(${this.path(1)})`,
          `[path(${this.path(1)})]`,
          `[getpath(["a","b"])]`,
          'to_entries',
          '(objects | with_entries(.key |= ascii_downcase))',
          '[recurse(.[]?; . != null)]',
          '[recurse(if type == "array" then .[] else empty end)]',
        ]),
      () => `(-(${f()}))`,
      () => `${this.path()}[1:]`,
      () => `.[${this.pick(['0', '1', '-1', 'null'])}:${this.pick(['2', '-1', ''])}]`,
      () => `[limit(2; ${f()})]`,
    ];
    return this.pick(forms)();
  }

  private builtinArgs(): string {
    const one = [
      '"a"',
      '0',
      '1',
      '","',
      '"A"',
      '"b"',
      '"é"',
      '["a"]',
      '{"a":1}',
      '["a","b"]',
      '"[a-c]"',
      '["^h", "i"]',
    ];
    return this.pick([...one, ...one, '"^h"; "i"', '1; 3', '2; .[]?', '1; 2, 3']);
  }
}
