/**
 * `tollgate listener`: a decK file for a virtual MCP server over upstream MCP URLs — one service,
 * route and tagged `passthrough-listener` per upstream, and a `listener` route over them
 * (README: Virtual MCP servers). Printed (or written with --output) for review and
 * `tollgate sync`; nothing is sent to the Admin API.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import YAML from 'yaml';
import { checkFlags, definePluginCli, has, parseArgs, UnknownFlagError, value } from '../../cli/plugin-api';

const HELP = `Usage: tollgate listener <name> [<source>=]<url>… [--tag <tag>] [--key-auth] [--output <file>]

Writes a decK file: for each upstream MCP URL a service (named <source>, else after the URL's
host), a route /<source>-mcp and an ai-mcp-proxy passthrough-listener tagged <tag>; and a route
/<name> whose ai-mcp-proxy listener serves them all as one MCP server.

Options:
  --tag <tag>       the listener's server.tag (default: <name>)
  --key-auth        key-auth on the listener and every source route
  --ttl <seconds>   tools_cache_ttl_seconds of every source (default 60)
  --output <file>   write the file there (owner-only) instead of printing it
`;

const FLAGS = ['tag', 'key-auth', 'ttl', 'output'];
const VALUED = new Set(['tag', 'ttl', 'output']);
const NAME = /^[A-Za-z0-9][A-Za-z0-9._~-]*$/;

class UsageError extends Error {}

interface Source {
  name: string;
  url: URL;
}

/** `name=url` or a bare URL, named after its host's first label (numbered when repeated). */
export function sourcesOf(args: string[]): Source[] {
  const taken = new Map<string, number>();
  return args.map((arg) => {
    const eq = arg.indexOf('=');
    const named = eq > 0 && !arg.slice(0, eq).includes('/') && !arg.slice(0, eq).includes(':');
    let url: URL;
    try {
      url = new URL(named ? arg.slice(eq + 1) : arg);
    } catch {
      throw new UsageError(`not a URL: ${arg}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new UsageError(`an MCP upstream is http or https: ${arg}`);
    let name = named ? arg.slice(0, eq) : url.hostname.split('.')[0].replace(/[^A-Za-z0-9._~-]/g, '-');
    if (!NAME.test(name)) throw new UsageError(`not a usable name: ${name}`);
    const seen = taken.get(name) ?? 0;
    taken.set(name, seen + 1);
    if (seen) name = `${name}-${seen + 1}`;
    return { name, url };
  });
}

export function listenerFile(
  name: string,
  sources: Source[],
  opts: { tag: string; keyAuth: boolean; ttl: number },
): string {
  const auth = opts.keyAuth ? [{ name: 'key-auth' }] : [];
  const services = sources.map((s) => ({
    name: s.name,
    url: s.url.toString(),
    routes: [
      {
        name: `${s.name}-mcp`,
        paths: [`/${s.name}-mcp`],
        plugins: [
          ...auth,
          {
            name: 'ai-mcp-proxy',
            tags: [opts.tag],
            config: { mode: 'passthrough-listener', tools_cache_ttl_seconds: opts.ttl },
          },
        ],
      },
    ],
  }));
  services.push({
    name,
    // The listener answers itself: its service is never called.
    url: 'http://127.0.0.1:9/',
    routes: [
      {
        name,
        paths: [`/${name}`],
        plugins: [
          ...auth,
          { name: 'ai-mcp-proxy', config: { mode: 'listener', server: { tag: opts.tag } } } as any,
        ],
      },
    ],
  });
  return YAML.stringify({ _format_version: '3.0', services });
}

export default definePluginCli({
  name: 'ai-mcp-proxy',
  command: 'listener',
  usage: 'listener <name> [<source>=]<url>…',
  summary: 'a decK file for one MCP endpoint over many upstream MCP servers',
  async run(argv) {
    try {
      const a = parseArgs(argv, VALUED);
      if (has(a, 'help', 'h')) {
        process.stdout.write(HELP);
        return 0;
      }
      checkFlags(a, FLAGS);
      const [name, ...urls] = a.positional;
      if (!name || !urls.length) throw new UsageError('a name and at least one upstream URL are needed');
      if (!NAME.test(name)) throw new UsageError(`not a usable name: ${name}`);
      const ttl = Number(value(a, 'ttl') ?? 60);
      if (!Number.isInteger(ttl) || ttl < 0) throw new UsageError('--ttl is a whole number of seconds');
      const sources = sourcesOf(urls);
      const names = [name, ...sources.map((x) => x.name)];
      const twice = names.find((n, i) => names.indexOf(n) !== i);
      if (twice)
        throw new UsageError(`two services would be named ${twice}: name the sources (<source>=<url>)`);
      const file = listenerFile(name, sources, {
        tag: value(a, 'tag') ?? name,
        keyAuth: has(a, 'key-auth'),
        ttl,
      });
      const output = value(a, 'output');
      if (output) {
        writeFileSync(output, file, { mode: 0o600 });
        chmodSync(output, 0o600); // an existing file keeps its mode otherwise
      } else process.stdout.write(file);
      return 0;
    } catch (err) {
      if (
        err instanceof UsageError ||
        err instanceof UnknownFlagError ||
        /^flag --/.test((err as Error).message)
      ) {
        process.stderr.write(`tollgate listener: ${(err as Error).message}\n\n${HELP}`);
        return 2;
      }
      throw err;
    }
  },
});
