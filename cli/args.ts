/** Minimal flag parsing: positional args, `--flag`, `--flag value`, `--flag=value`, repeats. */
export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string[]>;
}

export function parseArgs(argv: string[], valued: Set<string>): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-' || !a.startsWith('-')) {
      positional.push(a);
      continue;
    }
    const [rawName, inline] = a.replace(/^--?/, '').split(/=(.*)/s);
    let value = inline;
    if (value === undefined && valued.has(rawName)) {
      value = argv[++i];
      if (value === undefined) throw new Error(`flag --${rawName} needs a value`);
    }
    flags.set(rawName, [...(flags.get(rawName) ?? []), value ?? 'true']);
  }
  return { positional, flags };
}

export const has = (a: ParsedArgs, ...names: string[]) => names.some((n) => a.flags.has(n));
export const values = (a: ParsedArgs, name: string) => a.flags.get(name) ?? [];
export const value = (a: ParsedArgs, ...names: string[]) =>
  names.map((n) => a.flags.get(n)?.at(-1)).find((v) => v !== undefined);

/** A flag the command does not know: an error, never ignored (decK's `unknown flag`). */
export class UnknownFlagError extends Error {}

export function checkFlags(a: ParsedArgs, known: Iterable<string>): void {
  const allowed = new Set([...known, 'help', 'h']);
  const unknown = [...a.flags.keys()].find((f) => !allowed.has(f));
  if (unknown !== undefined) throw new UnknownFlagError(`unknown flag: --${unknown}`);
}
