/**
 * `tollgate file <verb>`: offline transformations of files (decK's `deck file …`).
 * Exit codes: 0 written, 1 error.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { checkFlags, has, parseArgs, UnknownFlagError, value, values } from '../args';
import { DeckFileError } from '../deck/env-template';
import { deckYaml, loadOpenApi, openapiToDeck, type ConversionMode } from '../deck/openapi2mcp';

export const FILE_HELP = `Usage: tollgate file openapi2mcp [spec|-] [-s spec] [-o file] [--mode M] [--select-tag T]… [--tag T]…

Converts an OpenAPI 3 document (YAML or JSON; $refs resolved, local files only) into a decK file:
a service (servers[0].url), a route and an ai-mcp-proxy plugin with one tool per operation
(names from operationId in kebab-case, or x-kong-mcp-tool-name; descriptions from summaries).

  -s, --spec         the OpenAPI document (or the first argument; - for stdin)
  -o, --output-file  where to write the decK file (default: stdout)
  -m, --mode         conversion-listener (default: the route serves MCP) or conversion-only
                     (the tools are served by a listener whose server.tag is one of --tag)
  --select-tag T     decK select tag, on every entity and in _info.select_tags
  --tag T            plugin tag for a listener to pick (conversion-only; default: <service>-tools)
`;

export async function runFile(argv: string[], stdin?: string): Promise<number> {
  const a = parseArgs(argv, new Set(['s', 'spec', 'o', 'output-file', 'm', 'mode', 'select-tag', 'tag']));
  const [verb, ...rest] = a.positional;
  if (has(a, 'help', 'h') || !verb) {
    process.stdout.write(FILE_HELP);
    return verb || has(a, 'help', 'h') ? 0 : 1;
  }
  try {
    checkFlags(a, ['s', 'spec', 'o', 'output-file', 'm', 'mode', 'select-tag', 'tag']);
    if (verb !== 'openapi2mcp') throw new DeckFileError(`unknown file command '${verb}' (try: openapi2mcp)`);
    const spec = value(a, 's', 'spec') ?? rest[0];
    if (!spec) throw new DeckFileError('no OpenAPI document given (-s file, or - for stdin)');
    const mode = (value(a, 'm', 'mode') ?? 'conversion-listener') as ConversionMode;
    if (mode !== 'conversion-listener' && mode !== 'conversion-only')
      throw new DeckFileError(`--mode must be conversion-listener or conversion-only, not '${mode}'`);
    let text: string;
    try {
      text = spec === '-' ? (stdin ?? readFileSync(0, 'utf8')) : readFileSync(spec, 'utf8');
    } catch (err) {
      throw new DeckFileError(
        `${spec}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      );
    }
    const doc = await loadOpenApi(text, spec);
    const tags = values(a, 'tag');
    const deck = openapiToDeck(doc, {
      mode,
      selectTags: values(a, 'select-tag'),
      toolTags: tags,
      warn: (m) => process.stderr.write(`warning: ${m}\n`),
    });
    const out = deckYaml(deck);
    const file = value(a, 'o', 'output-file');
    if (file && file !== '-') writeFileSync(file, out);
    else process.stdout.write(out);
    return 0;
  } catch (err) {
    if (err instanceof UnknownFlagError) {
      process.stderr.write(`Error: ${err.message}\n\n${FILE_HELP}`);
      return 1;
    }
    if (err instanceof DeckFileError) {
      process.stderr.write(`Error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
