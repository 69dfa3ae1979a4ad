/**
 * A plugin's command-line verb (`plugins/<name>/cli.ts`, registered in plugins/registry.ts):
 * `tollgate <command> …` runs it, and `tollgate help` lists it. Loaded only when the CLI needs
 * it (help, or its command).
 */
import { loadPluginClis } from '../plugins/load';

export interface PluginCli {
  /** The plugin it belongs to. */
  name: string;
  /** `tollgate <command>`. */
  command: string;
  /** One line of `tollgate help`: the arguments, then what it does. */
  usage: string;
  summary: string;
  /** Runs to completion: the exit code. */
  run(argv: string[]): Promise<number>;
}

export function definePluginCli(cli: PluginCli): PluginCli {
  return cli;
}

let loaded: Promise<PluginCli[]> | undefined;

export function pluginClis(): Promise<PluginCli[]> {
  return (loaded ??= loadPluginClis<PluginCli>());
}
