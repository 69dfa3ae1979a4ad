import { controlPlaneOptionsFromEnv } from '../control-plane/options';

const USAGE = `Usage: tollgate <command>

Commands:
  start            embedded database + control plane (+ data plane) in one process tree
  control-plane    run the control plane (Admin API on TOLLGATE_ADMIN_LISTEN)
  help             show this help
`;

async function runControlPlane() {
  const { startControlPlane } = await import('../control-plane/main');
  const options = controlPlaneOptionsFromEnv();
  const cp = await startControlPlane(options);
  const db = options.databaseUrl ? 'postgres (DATABASE_URL)' : `embedded PGlite in ${options.dataDir}`;
  process.stdout.write(`tollgate control plane: Admin API listening on ${cp.adminUrl} (database: ${db})\n`);
  const stop = async () => {
    await cp.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

export async function main(argv: string[]): Promise<void> {
  const [command] = argv;
  try {
    switch (command) {
      case 'start':
      case 'control-plane':
        await runControlPlane();
        return;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return;
      default:
        process.stderr.write(`tollgate: unknown command '${command}'\n\n${USAGE}`);
        process.exit(2);
    }
  } catch (err) {
    process.stderr.write(`tollgate: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
