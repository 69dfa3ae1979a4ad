/**
 * The jq engine against the real jq binary (Debian's `jq` package): generated filters over
 * generated inputs must give the same outputs, or both an error. `.ci/run` installs jq; set
 * JQ_SEED / JQ_CASES to reproduce or widen a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileJq, JqSyntaxError } from '../../shared/jq';
import { Corpus, prng } from '../helpers/jq-corpus';

const JQ = process.env.JQ_BINARY ?? 'jq';
const available = spawnSync(JQ, ['--version']).status === 0;
if (!available && process.env.CI) throw new Error('the jq binary is required in CI (apt-get install jq)');

type Outcome =
  { compiled: false; reason: string } | { compiled: true; results: ({ ok: unknown[] } | { error: true })[] };

/** One jq process per filter, all inputs at once; `try` around `[f]` keeps inputs apart. */
const inputFiles = new Map<unknown[], string>();

/** Inputs go in a file, not stdin: jq refusing a filter exits before reading (no EPIPE race). */
function inputFile(inputs: unknown[]): string {
  let file = inputFiles.get(inputs);
  if (!file) {
    file = join(mkdtempSync(join(tmpdir(), 'jq-diff-')), 'inputs.json');
    writeFileSync(file, JSON.stringify(inputs));
    inputFiles.set(inputs, file);
  }
  return file;
}

function reference(filter: string, inputs: unknown[]): Outcome {
  const program = `.[] | try {ok: [${filter}\n]} catch {error: true}`;
  const r = spawnSync(JQ, ['-c', program, inputFile(inputs)], {
    encoding: 'utf8',
    timeout: 5000,
    maxBuffer: 64 << 20,
  });
  if (r.error) throw new Error(`jq did not finish on ${filter}: ${r.error.message}`);
  if (r.status === 3) return { compiled: false, reason: r.stderr };
  if (r.status !== 0) throw new Error(`jq failed on ${filter}: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return { compiled: true, results: lines.map((l) => JSON.parse(l)) };
}

function ours(filter: string, inputs: unknown[]): Outcome {
  let program;
  try {
    program = compileJq(filter);
  } catch (err) {
    if (err instanceof JqSyntaxError) return { compiled: false, reason: err.message };
    throw err;
  }
  return {
    compiled: true,
    results: inputs.map((input) => {
      try {
        return { ok: program.run(input) };
      } catch (err) {
        if ((err as Error).name === 'JqError' || err?.constructor?.name === 'JqError')
          return { error: true as const };
        throw err;
      }
    }),
  };
}

/** Compared as JSON text: jq and JavaScript agree on number formatting for these inputs. */
const canonical = (o: Outcome) => JSON.stringify(o.compiled ? o : { compiled: false });

test('generated filters agree with the jq binary', { skip: !available && 'jq binary not installed' }, () => {
  const seed = Number(process.env.JQ_SEED ?? 20261122);
  const cases = Number(process.env.JQ_CASES ?? 600);
  const corpus = new Corpus(prng(seed));
  const inputs = Array.from({ length: 14 }, () => corpus.input());
  inputs.push(
    { headers: { Authorization: 'Bearer x' } },
    { headers: { authorization: 'x' } },
    { headers: {} },
    null,
  );
  const mismatches: string[] = [];
  let compiledBoth = 0;
  let outcomes = 0;
  for (let i = 0; i < cases; i++) {
    const filter = corpus.filter();
    const want = reference(filter, inputs);
    const got = ours(filter, inputs);
    if (want.compiled && got.compiled) {
      compiledBoth++;
      outcomes += inputs.length;
    }
    // Refused at compile time where jq compiles but fails at run time (e.g. `1 + . = 2`: not
    // a path expression) is the config-time rejection we want.
    const refusedEarly =
      !got.compiled &&
      want.compiled &&
      (want.results.every((r) => 'error' in r) || got.reason.includes('path expression'));
    if (!refusedEarly && canonical(want) !== canonical(got)) {
      const detail =
        want.compiled && got.compiled
          ? inputs
              .map((input, j) => ({ input, want: want.results[j], got: got.results[j] }))
              .filter((x) => JSON.stringify(x.want) !== JSON.stringify(x.got))
              .slice(0, 2)
              .map(
                (x) =>
                  `input ${JSON.stringify(x.input)}: jq ${JSON.stringify(x.want)} vs ours ${JSON.stringify(x.got)}`,
              )
              .join('; ')
          : `jq compiled: ${want.compiled}, ours compiled: ${got.compiled}`;
      mismatches.push(`${filter}\n    ${detail}`);
    }
  }
  assert.deepEqual(mismatches, [], `seed ${seed}: ${mismatches.length} of ${cases} filters differ`);
  // The corpus must mostly produce runnable filters, or the comparison proves little.
  assert.ok(compiledBoth > cases * 0.8, `only ${compiledBoth} of ${cases} filters compiled`);
  assert.ok(outcomes > 5000);
});

test(
  'hand-written filters from Datakit configs agree with the jq binary',
  { skip: !available && 'jq binary not installed' },
  () => {
    const filters = [
      '.headers.Authorization? != null or .headers.authorization? != null',
      '.headers | with_entries(.key |= ascii_downcase)',
      '.headers | to_entries | map(select(.key | test("^x-"; "i"))) | from_entries',
      '{ "x-user": (.headers["x-user"] // "anonymous") }',
      '.body.items | map({id, name: (.name | ascii_upcase)})',
      '.query | keys | join(",")',
      'if (.status // 0) >= 400 then {error: true} else . end',
      '.body | del(.secret) | .count = (.items | length)',
      '[.headers | to_entries[] | "\\(.key)=\\(.value)"] | sort',
      '.a as $a | reduce (.b // [])[] as $x ($a; . + $x)',
    ];
    const inputs = [
      {
        headers: { Authorization: 'Bearer t', 'X-User': 'ann', 'x-trace': '1' },
        query: { b: '1', a: '2' },
        body: { items: [{ id: 1, name: 'a', extra: 1 }], secret: 's' },
        status: 401,
        a: 1,
        b: [2, 3],
      },
      { headers: {}, query: {}, body: { items: [] }, a: 'x', b: ['y'] },
      { headers: { authorization: 'x' }, body: null, status: 200 },
    ];
    for (const f of filters) assert.equal(canonical(ours(f, inputs)), canonical(reference(f, inputs)), f);
  },
);

test('filters outside the supported subset are refused at compile time', () => {
  for (const f of [
    'def f: 1; f',
    'label $out | 1',
    'input',
    'env',
    '$ENV',
    '. as [$a] | $a',
    'include "x"; .',
    '$__loc__',
    '@sh',
    '1 as $x | $y',
    '.a | frobnicate',
    '.[',
    '"unterminated',
    '1 == 2 == 3',
    '.a = 1 = 2',
  ])
    assert.throws(() => compileJq(f), JqSyntaxError, f);
});

test('runaway filters stop at the step budget instead of blocking the event loop', () => {
  assert.throws(() => compileJq('[range(1e12)] | length').run(null), /step limit/);
  assert.throws(() => compileJq('[recurse(. + 1)] | length').run(0), /step limit|too deep/);
});

test('keys from requests are plain data, never prototypes', () => {
  const out = compileJq('.["__proto__"] = {"polluted": true} | {__proto__: 1} + .').run({}) as any[];
  assert.equal(({} as any).polluted, undefined);
  assert.deepEqual(Object.keys(out[0]), ['__proto__']);
  assert.deepEqual(compileJq('.constructor, .toString').run({}), [null, null]);
});
