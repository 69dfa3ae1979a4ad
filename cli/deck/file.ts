/** Reading decK state files: paths or `-` (stdin), rendered, parsed and merged. */
import { readFileSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { DeckFileError, renderEnv } from './env-template';

export interface DeckInfo {
  select_tags?: string[];
  defaults?: { service?: Record<string, unknown>; route?: Record<string, unknown> };
}

export interface DeckContent {
  _format_version?: string;
  _info?: DeckInfo;
  services?: any[];
  routes?: any[];
  consumers?: any[];
  consumer_groups?: any[];
  plugins?: any[];
  upstreams?: any[];
  certificates?: any[];
  ca_certificates?: any[];
  vaults?: any[];
  key_sets?: any[];
  keys?: any[];
}

export interface LoadedState {
  content: DeckContent;
  /** Where each top-level item came from (for error messages): parallel to the arrays. */
  origin: Record<string, string[]>;
  secrets: string[];
}

const COLLECTIONS = [
  'services',
  'routes',
  'consumers',
  'consumer_groups',
  'plugins',
  'upstreams',
  'certificates',
  'ca_certificates',
  'vaults',
  'key_sets',
  'keys',
] as const;
const KNOWN_KEYS = new Set<string>([
  '_format_version',
  '_info',
  '_transform',
  '_workspace',
  '_konnect',
  ...COLLECTIONS,
]);

function expandPaths(sources: string[]): string[] {
  const out: string[] = [];
  for (const s of sources) {
    if (s === '-') {
      out.push(s);
      continue;
    }
    let st;
    try {
      st = statSync(s);
    } catch {
      throw new DeckFileError(`${s}: no such file or directory`);
    }
    if (st.isDirectory()) {
      for (const f of readdirSync(s).sort()) if (/\.(ya?ml|json)$/.test(f)) out.push(join(s, f));
    } else out.push(s);
  }
  return out;
}

export function loadState(
  sources: string[],
  env: NodeJS.ProcessEnv = process.env,
  stdin?: string,
): LoadedState {
  if (!sources.length) throw new DeckFileError('no state file given (a path, a directory, or - for stdin)');
  const merged: DeckContent = {};
  const origin: Record<string, string[]> = {};
  const secrets: string[] = [];
  for (const path of expandPaths(sources)) {
    const name = path === '-' ? '<stdin>' : path;
    const raw = path === '-' ? (stdin ?? readFileSync(0, 'utf8')) : readFileSync(path, 'utf8');
    const rendered = renderEnv(raw, env, name);
    secrets.push(...rendered.secrets);
    let doc: any;
    try {
      doc = YAML.parse(rendered.text, { strict: true, uniqueKeys: true });
    } catch (err) {
      // The parser's message ends with a code frame (the line and a caret): keep it whole.
      const message = (err as Error).message.trimEnd().replace(/:$/, '');
      const [first, ...lines] = message.split('\n');
      const frame = lines
        .join('\n')
        .replace(/^\s*\n/, '')
        .trimEnd()
        .split('\n')
        .filter((l, i, all) => l.trim() || (i > 0 && i < all.length - 1));
      throw new DeckFileError(
        `${name}: not valid YAML/JSON: ${first.replace(/:$/, '')}${frame.length ? `\n\n${frame.map((l) => `    ${l}`).join('\n')}` : ''}`,
      );
    }
    if (doc === null || doc === undefined) continue;
    if (typeof doc !== 'object' || Array.isArray(doc))
      throw new DeckFileError(`${name}: expected a mapping at the top level`);
    for (const key of Object.keys(doc)) {
      if (!KNOWN_KEYS.has(key)) throw new DeckFileError(`${name}: unknown top-level key '${key}'`);
    }
    if (doc._format_version !== undefined && String(doc._format_version) !== '3.0') {
      throw new DeckFileError(
        `${name}: unsupported _format_version '${doc._format_version}' (expected "3.0")`,
      );
    }
    merged._format_version = '3.0';
    if (doc._info) {
      const tags = doc._info.select_tags;
      if (tags !== undefined && (!Array.isArray(tags) || tags.some((t: unknown) => typeof t !== 'string'))) {
        throw new DeckFileError(`${name}: _info.select_tags must be a list of strings`);
      }
      if (
        merged._info?.select_tags &&
        tags &&
        JSON.stringify([...merged._info.select_tags].sort()) !== JSON.stringify([...tags].sort())
      ) {
        throw new DeckFileError(`${name}: _info.select_tags differ between files`);
      }
      merged._info = { ...merged._info, ...doc._info };
    }
    for (const c of COLLECTIONS) {
      if (doc[c] === undefined || doc[c] === null) continue;
      if (!Array.isArray(doc[c])) throw new DeckFileError(`${name}: '${c}' must be a list`);
      (merged[c] ??= []).push(...doc[c]);
      (origin[c] ??= []).push(...doc[c].map(() => name));
    }
  }
  return { content: merged, origin, secrets };
}
