/**
 * `tollgate tools`: the MCP tools a route's upstream lists, and mcp-tool-pinning decisions.
 * A decision names the version reviewed (`--fingerprint`, the CURRENT column / `show`): when
 * the tool changed meanwhile the Admin API answers 409 and nothing is decided. Tool names travel
 * in the request body or query, never in a path, so any name (`.`, `..`, `a/b`) is exact.
 */
import {
  AdminClient,
  AdminError,
  checkFlags,
  columns,
  definePluginCli,
  has,
  parseArgs,
  terminalSafe,
  UnknownFlagError,
  value,
  type ParsedArgs,
} from '../../cli/plugin-api';

const HELP = `Usage: tollgate tools list <route> [--json]
       tollgate tools show <route> <tool>
       tollgate tools approve <route> <tool> --fingerprint sha256:…
       tollgate tools reject <route> <tool> --fingerprint sha256:…

list     the tools of a route governed by ai-mcp-proxy: pinning state and current fingerprint
show     one tool: its state, the diff from the approved version, every version seen (JSON)
approve  approve the version reviewed (--fingerprint: the one 'list' or 'show' printed);
         a tool that changed since is refused (409) and nothing is approved
reject   reject the version reviewed: the tool stays held

Options:
  --fingerprint <sha256:…>  the version reviewed (approve, reject)
  --json                    list: the Admin API's answer as JSON
  --admin-url <url>         the Admin API (default: TOLLGATE_ADMIN_URL or http://127.0.0.1:8001)

Environment:
  TOLLGATE_ADMIN_URL    the Admin API
  TOLLGATE_ADMIN_TOKEN  bearer token, when the Admin API requires one
`;

const FLAGS = ['fingerprint', 'admin-url', 'json'];
const VALUED = new Set(['fingerprint', 'admin-url']);

class UsageError extends Error {}

function clientOf(a: ParsedArgs): AdminClient {
  return new AdminClient(
    value(a, 'admin-url') ?? process.env.TOLLGATE_ADMIN_URL ?? 'http://127.0.0.1:8001',
    process.env.TOLLGATE_ADMIN_TOKEN || undefined,
  );
}

const routePath = (route: string) => `/mcp/routes/${encodeURIComponent(route)}`;

async function list(a: ParsedArgs, route: string): Promise<void> {
  const view = await clientOf(a).call('GET', `${routePath(route)}/tools`);
  if (has(a, 'json')) return void process.stdout.write(JSON.stringify(view, null, 2) + '\n');
  const rows = [
    ['TOOL', 'STATE', 'HELD', 'CURRENT', 'LISTED'],
    ...(view.tools as any[]).map((t) => [
      terminalSafe(JSON.stringify(t.name).slice(1, -1)),
      t.pinning?.state ?? 'unpinned',
      t.pinning?.held ? 'yes' : 'no',
      t.pinning?.current_fingerprint ?? '-',
      t.upstream ? (t.upstream.removed_at ? 'no longer' : 'yes') : '-',
    ]),
  ];
  process.stdout.write(columns(rows));
}

async function decide(a: ParsedArgs, verb: 'approve' | 'reject', route: string, tool: string) {
  const fingerprint = value(a, 'fingerprint');
  if (!fingerprint)
    throw new UsageError(
      `${verb} needs --fingerprint: the version reviewed ('tollgate tools list ${route}')`,
    );
  const answer = await clientOf(a).call('POST', `${routePath(route)}/tools/${verb}`, {
    tools: [{ name: tool, fingerprint }],
  });
  const done = answer[verb === 'approve' ? 'approved' : 'rejected'] as string[];
  process.stdout.write(`${verb === 'approve' ? 'approved' : 'rejected'}: ${terminalSafe(done.join(', '))}\n`);
}

async function runTools(argv: string[]): Promise<number> {
  try {
    const a = parseArgs(argv, VALUED);
    if (has(a, 'help', 'h')) {
      process.stdout.write(HELP);
      return 0;
    }
    checkFlags(a, FLAGS);
    const [verb, route, tool, ...rest] = a.positional;
    const arity: Record<string, number> = { list: 1, show: 2, approve: 2, reject: 2 };
    if (!verb || !(verb in arity)) throw new UsageError(`expected list, show, approve or reject`);
    if (
      [route, tool].slice(0, arity[verb]).some((x) => x === undefined) ||
      rest.length ||
      (arity[verb] === 1 && tool !== undefined)
    )
      throw new UsageError(`wrong number of arguments for '${verb}'`);
    if (verb === 'list') await list(a, route);
    else if (verb === 'show') {
      const detail = await clientOf(a).call(
        'GET',
        `${routePath(route)}/tool?name=${encodeURIComponent(tool)}`,
      );
      process.stdout.write(JSON.stringify(detail, null, 2) + '\n');
    } else await decide(a, verb as 'approve' | 'reject', route, tool);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof UnknownFlagError) {
      process.stderr.write(`Error: ${err.message}\n\n${HELP}`);
      return 2;
    }
    if (err instanceof AdminError) {
      process.stderr.write(`Error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

export default definePluginCli({
  name: 'mcp-tool-pinning',
  command: 'tools',
  usage: 'tools list|show|approve|reject <route> [tool]',
  summary: 'MCP tools of a route and mcp-tool-pinning decisions (at the version reviewed)',
  run: runTools,
});
