import { randomBytes } from 'node:crypto';
import { restrictUmask } from '../shared/private-files';
import { KONG_COMPATIBLE_VERSION, TOLLGATE_VERSION } from '../shared/version';
import { join } from 'node:path';
import { controlPlaneOptionsFromEnv, type ControlPlaneOptions } from '../control-plane/options';
import { dataPlaneOptionsFromEnv } from '../data-plane/options';
import { DECK_VERBS, runDeckVerb } from './commands/deck';
import { runAnalytics } from './commands/analytics';
import { exitWithParent, startChildDataPlane } from './child-data-plane';
import { pluginClis } from './plugin-cli';

/** The usage, with each plugin's verb (plugins/<name>/cli.ts) among the commands. */
const usage = async () => {
  const PLUGIN_COMMANDS = (await pluginClis())
    .map((c) => `  ${c.usage}\n                   ${c.summary}\n`)
    .join('');
  return `Usage: tollgate <command>

Commands:
  start            embedded database + control plane, and one data plane in a child process
  control-plane    run the control plane (Admin API on TOLLGATE_ADMIN_LISTEN)
  data-plane       run a data plane (proxy on TOLLGATE_PROXY_LISTEN, CP at TOLLGATE_CP_URL)
  validate|diff|sync|apply|dump|reset [file…|-]
                   decK-style declarative config against the Admin API (TOLLGATE_ADMIN_URL)
  analytics        requests, errors and latency per service/tool/consumer for a time range
${PLUGIN_COMMANDS}  file openapi2mcp <spec>
                   an OpenAPI 3 document as a decK file whose ai-mcp-proxy serves its operations
  version          the version of this tollgate (and the Kong version it speaks)
  help             show this help

Run 'tollgate <command> --help' for a command's options.
`;
};

/** `start`, `control-plane` and `data-plane` take no flags: the environment configures them. */
const SERVER_HELP: Record<string, string> = {
  start: `Usage: tollgate start

The embedded database, a control plane and one data plane (in a child process): everything on
this machine, data in TOLLGATE_DATA_DIR. Ctrl-C stops it.`,
  'control-plane': `Usage: tollgate control-plane

The control plane alone: Admin API, console, cluster listener; Postgres with DATABASE_URL,
else the embedded database in TOLLGATE_DATA_DIR.`,
  'data-plane': `Usage: tollgate data-plane

A data plane: proxies traffic with the config it gets from TOLLGATE_CP_URL (and keeps serving
its cached config while the control plane is away).`,
};

const SERVER_ENV = `
Environment (all optional; README "Configuration" has every variable):
  TOLLGATE_ADMIN_LISTEN     Admin API            127.0.0.1:8001
  TOLLGATE_CONSOLE_LISTEN   console              127.0.0.1:8002 (off: none)
  TOLLGATE_CLUSTER_LISTEN   cluster listener     127.0.0.1:8005
  TOLLGATE_PROXY_LISTEN     proxy                127.0.0.1:8000
  TOLLGATE_PROXY_SSL_LISTEN proxy TLS            127.0.0.1:8443 (off: none)
  TOLLGATE_PROXY_SSL_CERT / _KEY                 PEM files (else a self-signed certificate)
  TOLLGATE_STATUS_LISTEN    data plane status    127.0.0.1:8100
  TOLLGATE_CP_URL           control plane (data plane)  ws://127.0.0.1:8005
  TOLLGATE_DATA_DIR         data directory       ./data
  DATABASE_URL              Postgres             unset: embedded PGlite
  TOLLGATE_ADMIN_TOKEN      Admin API bearer token (required beyond loopback)
  TOLLGATE_CLUSTER_TOKEN    cluster token        start: generated per run
  TOLLGATE_ADMIN_GUI_URL    browser origins allowed on the Admin API (Kong's admin_gui_url)
  TOLLGATE_ALLOWED_HOSTS    Host names the Admin, console, cluster and status listeners answer
  TOLLGATE_PROXY_ACCESS_LOG / _ERROR_LOG / TOLLGATE_ADMIN_ACCESS_LOG   paths or off
  TOLLGATE_DP_WORKERS       proxy processes      the CPUs available
`;

type Closer = () => Promise<void>;

/** Installed before anything starts: a signal during startup still shuts down cleanly. */
function onSignals(closers: Closer[]) {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    for (const close of closers) await close().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function runControlPlane(
  overrides: Partial<ControlPlaneOptions> = {},
): Promise<{ close: Closer; clusterUrl: string }> {
  const { startControlPlane } = await import('../control-plane/main');
  const options = {
    ...controlPlaneOptionsFromEnv(),
    progress: (line: string) => process.stdout.write(`tollgate control plane: ${line}\n`),
    ...overrides,
  };
  const cp = await startControlPlane(options);
  const db = options.databaseUrl ? 'postgres (DATABASE_URL)' : `embedded PGlite in ${options.dataDir}`;
  process.stdout.write(`tollgate control plane: Admin API listening on ${cp.adminUrl} (database: ${db})\n`);
  process.stdout.write(`tollgate control plane: cluster listener on ${cp.clusterUrl}/v1/outlet\n`);
  if (cp.consoleUrl) process.stdout.write(`tollgate control plane: console on ${cp.consoleUrl}\n`);
  return { close: () => cp.close(), clusterUrl: cp.clusterUrl };
}

async function runDataPlane(): Promise<Closer> {
  const options = dataPlaneOptionsFromEnv();
  const workers = options.workers ?? 1;
  const dp =
    workers > 1
      ? await (await import('../data-plane/workers/primary')).runPrimary(options, workers)
      : await (await import('../data-plane/main')).startDataPlane(options);
  process.stdout.write(
    `tollgate data plane ${dp.nodeId}: proxy listening on ${dp.proxyUrl}${dp.proxySslUrl ? ` and ${dp.proxySslUrl}` : ''}, status on ${dp.statusUrl}${workers > 1 ? ` (${workers} workers)` : ''}\n`,
  );
  return () => dp.close();
}

export async function main(argv: string[]): Promise<void> {
  const [command] = argv;
  try {
    const exitCode = await runToolCommand(command, argv.slice(1));
    if (exitCode !== undefined) {
      process.exitCode = exitCode;
      return;
    }
    if (command in SERVER_HELP && printedServerHelp(command, argv.slice(1))) return;
    switch (command) {
      case 'start':
        return await runStartCommand();
      case 'control-plane':
        return await runControlPlaneCommand();
      case 'data-plane':
        return await runDataPlaneCommand();
      case 'version':
      case '--version':
        process.stdout.write(`tollgate ${TOLLGATE_VERSION} (Kong Admin API ${KONG_COMPATIBLE_VERSION})\n`);
        return;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(await usage());
        return;
      default:
        process.stderr.write(`tollgate: unknown command '${command}'\n\n${await usage()}`);
        process.exit(2);
    }
  } catch (err) {
    process.stderr.write(`tollgate: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

/** The commands that run to completion (decK verbs, file, tools, analytics): their exit code, else undefined. */
async function runToolCommand(command: string, args: string[]): Promise<number | undefined> {
  if ((DECK_VERBS as readonly string[]).includes(command))
    return runDeckVerb(command as (typeof DECK_VERBS)[number], args);
  if (command === 'file') return (await import('./commands/file')).runFile(args);
  const plugin = (await pluginClis()).find((c) => c.command === command);
  if (plugin) return plugin.run(args);
  if (command === 'analytics') return runAnalytics(args);
  return undefined;
}

/** Server commands take `--help` only: true when it was shown; any other argument exits with an error. */
function printedServerHelp(command: string, flags: string[]): boolean {
  if (flags.some((f) => f === '--help' || f === '-h')) {
    process.stdout.write(`${SERVER_HELP[command]}\n${SERVER_ENV}`);
    return true;
  }
  if (flags.length) {
    process.stderr.write(`Error: unknown argument: ${flags[0]}\n\n${SERVER_HELP[command]}\n${SERVER_ENV}`);
    process.exit(1);
  }
  return false;
}

async function runStartCommand(): Promise<void> {
  const closers: Closer[] = [];
  onSignals(closers);
  restrictUmask();
  // Its own data plane presents a token no other local process knows (unless one is set).
  const clusterToken = process.env.TOLLGATE_CLUSTER_TOKEN || randomBytes(24).toString('hex');
  const cp = await runControlPlane({
    clusterToken,
    proxyListen: dataPlaneOptionsFromEnv().proxyListen,
  });
  closers.unshift(cp.close);
  // The data plane in its own process: never on the embedded database's event loop.
  closers.unshift(
    startChildDataPlane(
      {
        TOLLGATE_CP_URL: process.env.TOLLGATE_CP_URL ?? cp.clusterUrl,
        TOLLGATE_DATA_DIR: join(process.env.TOLLGATE_DATA_DIR || './data', 'data-plane'),
        TOLLGATE_CLUSTER_TOKEN: clusterToken,
      },
      (line) => process.stderr.write(`tollgate: ${line}\n`),
    ),
  );
}

async function runControlPlaneCommand(): Promise<void> {
  const closers: Closer[] = [];
  onSignals(closers);
  restrictUmask();
  closers.push((await runControlPlane()).close);
}

async function runDataPlaneCommand(): Promise<void> {
  const closers: Closer[] = [];
  onSignals(closers);
  restrictUmask();
  // Before starting: a parent that goes away while this data plane starts (its workers
  // forking) must still take it down.
  exitWithParent(() => process.kill(process.pid, 'SIGTERM'));
  closers.push(await runDataPlane());
}
