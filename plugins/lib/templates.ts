/**
 * Kong's transformer templates: `$(headers.x)`, `$(headers["x-y"])`, `$(query_params.q)`,
 * `$(uri_captures.name)`, `$(uri_captures[1])`, `$(shared.k)`, joined with `or` and string
 * literals as fallbacks (`$(uri_captures["id"] or query_params.id or "unknown")`). That subset
 * of Lua is what transformer configs use; anything else is rejected when the config is written.
 */
export type TemplateSource = 'headers' | 'query_params' | 'uri_captures' | 'shared';
export type TemplateTerm = { literal: string } | { source: TemplateSource; key: string | number };
export type TemplatePart = string | TemplateTerm[];

const TERM =
  /^(headers|query_params|uri_captures|shared)(?:\.([A-Za-z_][A-Za-z0-9_-]*)|\[\s*(?:"([^"]*)"|'([^']*)'|(\d+))\s*\])$/;

function parseTerm(raw: string): TemplateTerm {
  const t = raw.trim();
  const lit = /^(?:"([^"]*)"|'([^']*)')$/.exec(t);
  if (lit) return { literal: lit[1] ?? lit[2] };
  const m = TERM.exec(t);
  if (!m) throw new Error(`unsupported template expression '${t}'`);
  const key = m[2] ?? m[3] ?? m[4] ?? Number(m[5]);
  return { source: m[1] as TemplateSource, key };
}

/** Split a value into literal text and `$(…)` expressions; `$('$(x)')`-style escapes stay literal. */
export function parseTemplate(value: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < value.length) {
    const start = value.indexOf('$(', i);
    if (start === -1) {
      parts.push(value.slice(i));
      break;
    }
    if (start > i) parts.push(value.slice(i, start));
    let depth = 0;
    let end = -1;
    let quote: string | null = null;
    for (let j = start + 1; j < value.length; j++) {
      const ch = value[j];
      if (quote) {
        if (ch === quote) quote = null;
        continue;
      }
      if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '(') depth++;
      else if (ch === ')' && --depth === 0) {
        end = j;
        break;
      }
    }
    if (end === -1) throw new Error(`unterminated template in '${value}'`);
    const expr = value.slice(start + 2, end);
    parts.push(expr.split(/\s+or\s+/).map(parseTerm));
    i = end + 1;
  }
  return parts;
}

export function isTemplate(value: string): boolean {
  return value.includes('$(');
}
