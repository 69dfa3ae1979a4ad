/**
 * What a plugin's command-line verb (`plugins/<name>/cli.ts`) may use of the CLI, and nothing
 * else (ESLint keeps it to this file): how to define itself, argument parsing, terminal-safe
 * output and the Admin API client.
 */
export { definePluginCli, type PluginCli } from './plugin-cli';
export { checkFlags, has, parseArgs, UnknownFlagError, value, values, type ParsedArgs } from './args';
export { columns, terminalSafe } from './terminal-text';
export { AdminClient, AdminError } from './deck/client';
