/** decK's diff output: one line per change, field-level detail for updates, a summary. */
import type { Change } from './reconcile';

export function masker(secrets: string[]): (text: string) => string {
  // Each secret as written and as it appears inside JSON strings (escaped quotes, newlines).
  const forms = secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]);
  const list = [...new Set(forms)].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
  return (text) => list.reduce((t, s) => t.split(s).join('[masked]'), text);
}

function fieldDiff(oldE: Record<string, any>, newE: Record<string, any>, prefix = ''): string[] {
  const lines: string[] = [];
  const keys = [...new Set([...Object.keys(oldE ?? {}), ...Object.keys(newE ?? {})])].sort();
  for (const k of keys) {
    const a = oldE?.[k];
    const b = newE?.[k];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    const isObj = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
    if (isObj(a) && isObj(b)) {
      lines.push(...fieldDiff(a, b, `${prefix}${k}.`));
      continue;
    }
    if (a !== undefined) lines.push(`-  "${prefix}${k}": ${JSON.stringify(a)}`);
    if (b !== undefined) lines.push(`+  "${prefix}${k}": ${JSON.stringify(b)}`);
  }
  return lines;
}

export function summary(changes: Change[]) {
  const count = (a: string) => changes.filter((c) => c.action === a).length;
  return {
    creating: count('create'),
    updating: count('update'),
    deleting: count('delete'),
    total: changes.length,
  };
}

export function renderText(changes: Change[], mask: (t: string) => string): string {
  const out: string[] = [];
  for (const c of changes) {
    const verb = c.action === 'create' ? 'creating' : c.action === 'update' ? 'updating' : 'deleting';
    if (c.action === 'update') {
      out.push(`${verb} ${c.display}  {`);
      out.push(...fieldDiff(c.old!, c.new!));
      out.push('}');
    } else out.push(`${verb} ${c.display}`);
  }
  const s = summary(changes);
  out.push('Summary:', `  Created: ${s.creating}`, `  Updated: ${s.updating}`, `  Deleted: ${s.deleting}`);
  return mask(out.join('\n')) + '\n';
}

export function renderJson(changes: Change[], mask: (t: string) => string, errors: string[] = []): string {
  const entry = (c: Change) => ({
    kind: c.kind,
    name: c.display.slice(c.display.indexOf(' ') + 1),
    body:
      c.action === 'update'
        ? { old: c.old, new: c.new }
        : c.action === 'create'
          ? { new: c.new }
          : { old: c.old },
  });
  const report = {
    changes: {
      creating: changes.filter((c) => c.action === 'create').map(entry),
      updating: changes.filter((c) => c.action === 'update').map(entry),
      deleting: changes.filter((c) => c.action === 'delete').map(entry),
    },
    summary: summary(changes),
    warnings: [],
    errors,
  };
  return mask(JSON.stringify(report, null, 2)) + '\n';
}
