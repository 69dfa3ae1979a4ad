/**
 * An evaluation budget: loops a filter controls (range, recurse, reduce) spend from it, so a
 * filter like `range(1e12)` fails with an error instead of stalling a data plane's event loop.
 * Evaluation is synchronous, so one module-level counter serves every program.
 */
import { JqError } from './values';

export const DEFAULT_BUDGET = 1_000_000;
let remaining = DEFAULT_BUDGET;

export function resetBudget(steps = DEFAULT_BUDGET): void {
  remaining = steps;
}

export function spend(): void {
  if (--remaining < 0) throw new JqError('jq: evaluation step limit exceeded');
}
