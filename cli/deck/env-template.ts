/**
 * decK's environment templating: `${{ env "DECK_NAME" }}`, optionally piped through `toInt`,
 * `toFloat`, `toBool`. Rendering happens on the file text before YAML parsing, as in decK, and
 * the values used are remembered so diff output can mask them.
 */
export class DeckFileError extends Error {}

const TEMPLATE = /\$\{\{\s*(.*?)\s*\}\}/g;

export interface Rendered {
  text: string;
  /** Values of DECK_* variables that went into the text (masked in diff output). */
  secrets: string[];
}

export function renderEnv(text: string, env: NodeJS.ProcessEnv, source: string): Rendered {
  const secrets: string[] = [];
  const out = text.replace(TEMPLATE, (_whole, expr: string) => {
    const [head, ...pipes] = expr.split('|').map((p) => p.trim());
    const m = /^env\s+"([^"]*)"$/.exec(head);
    if (!m)
      throw new DeckFileError(
        `${source}: unsupported template expression '${expr}' (only env "DECK_…" is supported)`,
      );
    const name = m[1];
    if (!name.startsWith('DECK_')) {
      throw new DeckFileError(
        `${source}: environment variables in the state file must be prefixed with 'DECK_', found: '${name}'`,
      );
    }
    const value = env[name];
    if (value === undefined)
      throw new DeckFileError(`${source}: environment variable '${name}' present in state file but not set`);
    let result = value;
    for (const pipe of pipes) {
      if (pipe === 'toInt') {
        if (!/^[+-]?\d+$/.test(value.trim()))
          throw new DeckFileError(`${source}: ${name}: cannot convert its value to int`);
        result = String(parseInt(value, 10));
      } else if (pipe === 'toFloat') {
        if (value.trim() === '' || Number.isNaN(Number(value)))
          throw new DeckFileError(`${source}: ${name}: cannot convert its value to float`);
        result = String(Number(value));
      } else if (pipe === 'toBool') {
        const v = value.trim().toLowerCase();
        if (!['true', 'false', '1', '0', 't', 'f'].includes(v))
          throw new DeckFileError(`${source}: ${name}: cannot convert its value to bool`);
        result = String(['true', '1', 't'].includes(v));
      } else {
        throw new DeckFileError(`${source}: unsupported template function '${pipe}'`);
      }
    }
    if (value !== '') secrets.push(value);
    return result;
  });
  return { text: out, secrets };
}
