/**
 * decK-style verbs against the Admin API: validate, diff, sync, apply, dump, reset.
 * Exit codes: 0 done (or no differences), 1 error, 2 differences found (diff --non-zero-exit-code).
 */
import { terminalSafe } from '../terminal-text';
import { writePrivateFile } from '../../shared/private-files';
import YAML from 'yaml';
import { checkFlags, has, parseArgs, UnknownFlagError, value, values, type ParsedArgs } from '../args';
import { AdminClient, AdminError } from '../deck/client';
import { dumpState } from '../deck/dump';
import { DeckFileError } from '../deck/env-template';
import { loadState } from '../deck/file';
import { planChanges, type Change } from '../deck/reconcile';
import { masker, renderJson, renderText, summary } from '../deck/report';
import { buildTarget } from '../deck/target';
import { EMPTY_CONFIG } from '../deck/empty';

export const DECK_VERBS = ['validate', 'diff', 'sync', 'apply', 'dump', 'reset'] as const;

const TARGET_OPTIONS = `  --admin-url <url>      the Admin API (alias --kong-addr; default TOLLGATE_ADMIN_URL)`;
const SELECT_TAG = `  --select-tag <tag>     scope: only entities with every such tag; stamped on what is created
                         (repeatable; the same as _info.select_tags in the file)`;
const COMMON = `
Environment:
  TOLLGATE_ADMIN_URL     the Admin API (default http://127.0.0.1:8001)
  TOLLGATE_ADMIN_TOKEN   sent as a bearer token
  DECK_*                 \${{ env "DECK_NAME" }} in a file is replaced from these

Files: paths, directories, or - for stdin; several are merged.`;

/** The flags each verb takes (anything else is an error, as decK's). */
const VERB_FLAGS: Record<(typeof DECK_VERBS)[number], string[]> = {
  validate: [],
  diff: ['select-tag', 'json-output', 'non-zero-exit-code', 'admin-url', 'kong-addr'],
  sync: ['select-tag', 'json-output', 'admin-url', 'kong-addr'],
  apply: ['select-tag', 'json-output', 'admin-url', 'kong-addr'],
  dump: ['o', 'output-file', 'select-tag', 'yes', 'admin-url', 'kong-addr'],
  reset: ['force', 'select-tag', 'admin-url', 'kong-addr'],
};

export const DECK_HELP: Record<(typeof DECK_VERBS)[number], string> = {
  validate: `Usage: tollgate validate [file…|-]

Checks state files offline, with the same schemas the control plane uses: YAML, references
between entities, every field of every entity and plugin config. Nothing is sent anywhere.
${COMMON}`,
  diff: `Usage: tollgate diff [file…|-] [--select-tag T]… [--json-output] [--non-zero-exit-code]

Shows what sync would change: creating/updating/deleting lines, field-level differences for
updates, and a summary. DECK_* values are masked.

Options:
${SELECT_TAG}
  --json-output          the changes as JSON
  --non-zero-exit-code   exit 2 when there are differences
${TARGET_OPTIONS}
${COMMON}`,
  sync: `Usage: tollgate sync [file…|-] [--select-tag T]… [--json-output]

Makes the gateway match the files: creates, updates and deletes entities within the scope of
_info.select_tags (or --select-tag). All changes are applied in one transaction: everything or
nothing, and one new config version.

Options:
${SELECT_TAG}
  --json-output          the changes as JSON
${TARGET_OPTIONS}
${COMMON}`,
  apply: `Usage: tollgate apply [file…|-] [--select-tag T]… [--json-output]

Like sync, but never deletes: creates and updates only.

Options:
${SELECT_TAG}
  --json-output          the changes as JSON
${TARGET_OPTIONS}
${COMMON}`,
  dump: `Usage: tollgate dump [-o file] [--select-tag T]… [--yes]

Writes the current configuration as a decK file (stdout, or -o file) that syncs back with no
changes. With --select-tag only entities carrying all the tags are written.

Options:
  -o, --output-file <f>  write to a file (owner-only: it holds credentials) instead of stdout
${SELECT_TAG}
  --yes                  overwrite without asking
${TARGET_OPTIONS}
${COMMON}`,
  reset: `Usage: tollgate reset [--force] [--select-tag T]…

Deletes every entity (within the select tags, when given). Asks for confirmation unless --force.

Options:
  --force                do not ask
${SELECT_TAG}
${TARGET_OPTIONS}
${COMMON}`,
};

function client(a: ParsedArgs): AdminClient {
  return new AdminClient(
    value(a, 'admin-url', 'kong-addr') ?? process.env.TOLLGATE_ADMIN_URL ?? 'http://127.0.0.1:8001',
    process.env.TOLLGATE_ADMIN_TOKEN || undefined,
  );
}

function selectTags(a: ParsedArgs, fromFile: string[]): string[] {
  const flag = values(a, 'select-tag');
  if (
    flag.length &&
    fromFile.length &&
    JSON.stringify([...flag].sort()) !== JSON.stringify([...fromFile].sort())
  ) {
    throw new DeckFileError(
      `tags specified in the state file (${fromFile.join(', ')}) and via --select-tag flag (${flag.join(', ')}) are different`,
    );
  }
  return fromFile.length ? fromFile : flag;
}

function out(text: string) {
  process.stdout.write(text);
}

/** Progress on stderr for long syncs (the batch itself is one request). */
function progress(message: string) {
  process.stderr.write(`${message}\n`);
}

async function plan(a: ParsedArgs, sync: boolean, stdin?: string) {
  const state = loadState(a.positional, process.env, stdin);
  const target = buildTarget(state, selectTags(a, state.content._info?.select_tags ?? []));
  const current = await client(a).currentConfig();
  const result = planChanges(target, current, { sync });
  return { ...result, mask: masker(state.secrets) };
}

async function execute(a: ParsedArgs, changes: Change[]) {
  if (!changes.length) return;
  const started = Date.now();
  if (changes.length > 200) progress(`applying ${changes.length} changes in one transaction…`);
  const result = await client(a).batch(changes.map((c) => c.op));
  if (changes.length > 200)
    progress(
      `applied ${result.applied} changes in ${((Date.now() - started) / 1000).toFixed(1)} s (config version ${result.version})`,
    );
}

export async function runDeckVerb(
  verb: (typeof DECK_VERBS)[number],
  argv: string[],
  stdin?: string,
): Promise<number> {
  const a = parseArgs(argv, new Set(['select-tag', 'admin-url', 'kong-addr', 'o', 'output-file']));
  if (has(a, 'help', 'h')) {
    out(`${DECK_HELP[verb]}\n`);
    return 0;
  }
  try {
    checkFlags(a, VERB_FLAGS[verb]);
    switch (verb) {
      case 'validate':
        return runValidate(a, stdin);
      case 'diff':
      case 'sync':
      case 'apply':
        return await runPlanned(verb, a, stdin);
      case 'dump':
        return await runDump(a);
      case 'reset':
        return await runReset(a);
    }
  } catch (err) {
    return reportDeckError(verb, err);
  }
}

/** The user's mistakes (flags, files, what the Admin API refused) exit 1; anything else is a bug. */
function reportDeckError(verb: (typeof DECK_VERBS)[number], err: unknown): number {
  if (err instanceof UnknownFlagError) {
    process.stderr.write(`Error: ${err.message}\n\n${DECK_HELP[verb]}\n`);
    return 1;
  }
  if (err instanceof DeckFileError || err instanceof AdminError) {
    process.stderr.write(`Error: ${err.message}\n`);
    return 1;
  }
  throw err;
}

function runValidate(a: ParsedArgs, stdin?: string): number {
  const state = loadState(a.positional, process.env, stdin);
  const target = buildTarget(state);
  const { errors } = planChanges(target, EMPTY_CONFIG, { sync: false, offline: true });
  if (errors.length) {
    process.stderr.write(
      `Error: ${errors.length} validation error${errors.length > 1 ? 's' : ''}:\n${errors.map((e) => `  ${e}`).join('\n')}\n`,
    );
    return 1;
  }
  out(`${a.positional.join(', ')}: valid (${target.items.length} entities)\n`);
  return 0;
}

/** diff, sync and apply: plan against the gateway, then (but for diff) apply the plan. */
async function runPlanned(verb: 'diff' | 'sync' | 'apply', a: ParsedArgs, stdin?: string): Promise<number> {
  const json = has(a, 'json-output');
  const { changes, errors, mask } = await plan(a, verb !== 'apply', stdin);
  if (errors.length) {
    if (json) out(renderJson([], mask, errors));
    process.stderr.write(
      `Error: nothing was changed; ${errors.length} problem${errors.length > 1 ? 's' : ''}:\n${errors.map((e) => `  ${mask(e)}`).join('\n')}\n`,
    );
    return 1;
  }
  if (verb !== 'diff') await executeMasked(a, changes, mask);
  out(json ? renderJson(changes, mask) : terminalSafe(renderText(changes, mask)));
  if (verb === 'diff' && has(a, 'non-zero-exit-code') && summary(changes).total > 0) return 2;
  return 0;
}

async function executeMasked(a: ParsedArgs, changes: Change[], mask: (text: string) => string) {
  try {
    await execute(a, changes);
  } catch (err) {
    // The Admin API echoes values (unique keys…): mask what came from DECK_* variables.
    if (err instanceof AdminError) throw new AdminError(mask(err.message));
    throw err;
  }
}

async function runDump(a: ParsedArgs): Promise<number> {
  const current = await client(a).currentConfig();
  const doc = dumpState(current, values(a, 'select-tag'));
  const text = YAML.stringify(doc, { lineWidth: 0 });
  const file = value(a, 'o', 'output-file');
  if (file && file !== '-') {
    // It holds every credential of the config: readable by its owner only.
    writePrivateFile(file, text);
    process.stderr.write(`wrote ${file}\n`);
  } else out(text);
  return 0;
}

async function runReset(a: ParsedArgs): Promise<number> {
  if (!has(a, 'force')) {
    const answer = await ask(
      'This will delete all configuration from the gateway (within the select tags, if given).\n> Are you sure? (y/N) ',
    );
    if (!/^y(es)?$/i.test(answer.trim())) {
      process.stderr.write('reset aborted (use --force to skip the question)\n');
      return 1;
    }
  }
  const target = { items: [], selectTags: values(a, 'select-tag') };
  const current = await client(a).currentConfig();
  const { changes } = planChanges(target, current, { sync: true });
  await execute(a, changes);
  out(terminalSafe(renderText(changes, (t) => t)));
  return 0;
}

function ask(question: string): Promise<string> {
  if (!process.stdin.isTTY) return Promise.resolve('');
  process.stderr.write(question);
  return new Promise((resolve) => {
    process.stdin.setEncoding('utf8');
    process.stdin.once('data', (d) => {
      process.stdin.pause();
      resolve(String(d));
    });
  });
}
