/**
 * Tollgate's jq engine: a jq-1.7-compatible subset, parsed and compiled once per config and
 * evaluated per request in microseconds. Filters outside the subset fail `compileJq` with a
 * JqSyntaxError, which the control plane reports when the config is written. Proven against
 * the real `jq` binary by test/unit/jq-differential.test.ts.
 */
import { resetBudget } from './budget';
import { Compiler } from './compile';
import { parse } from './parser';
import { JqError } from './values';

export { JqSyntaxError } from './parser';
export { JqError };

export interface JqProgram {
  readonly source: string;
  /** Every output for `input`; throws JqError when the filter raises an error. */
  run(input: unknown): unknown[];
}

export function compileJq(source: string): JqProgram {
  const filter = new Compiler().value(parse(source));
  return {
    source,
    run(input) {
      resetBudget();
      const out: unknown[] = [];
      try {
        filter(input, null, (v) => out.push(v));
      } catch (err) {
        // Unbounded recursion (`recurse(. + 1)` descends before it emits) ends here.
        if (err instanceof RangeError) throw new JqError('jq: recursion too deep');
        throw err;
      }
      return out;
    },
  };
}
