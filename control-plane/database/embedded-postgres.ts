/**
 * The embedded database: PGlite (Postgres compiled to WASM) persisted in the data dir, served on
 * a private unix socket so the control plane reaches it with the same `pg` driver and TypeORM
 * driver it uses for a real Postgres server.
 *
 * PGlite is a single-session Postgres: one connection at a time may hold a transaction, and
 * extended-protocol messages from two connections can interleave (pglite#1046). The pool that
 * talks to it is therefore sized to exactly one connection, which makes interleaving impossible;
 * code must never query outside a transaction it is holding (that would deadlock on the pool).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { chmod, readdir } from 'node:fs/promises';
import { ensurePrivateDir } from '../../shared/private-files';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initialiseInChild, isInitialised } from './embedded-initdb';
import { embeddedOptions } from './embedded-settings';

export interface EmbeddedPostgres {
  /** Options for `pg` / TypeORM: unix socket directory and port. */
  host: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

const SOCKET_PORT = 5432;

export async function startEmbeddedPostgres(
  dataDir: string,
  progress: (line: string) => void = () => undefined,
): Promise<EmbeddedPostgres> {
  const dir = resolve(dataDir, 'pgdata');
  ensurePrivateDir(resolve(dataDir));
  ensurePrivateDir(dir);
  // Loaded lazily: a deployment with DATABASE_URL never pays for the WASM module.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  if (!isInitialised(dir)) {
    progress(`creating the embedded database in ${dir} (first start only: about half a minute)…`);
    const started = Date.now();
    await initialiseInChild(dir);
    progress(`embedded database created in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  progress(`opening the embedded database in ${dir}…`);
  const db = await PGlite.create(dir, await embeddedOptions());
  // PGlite (Emscripten's file system) creates its files 0666 whatever the umask: they are set
  // owner-only after start, every minute for new ones, and at stop (the folder is 0700 anyway).
  await ownerOnly(dir);
  const sweep = setInterval(() => void ownerOnly(dir).catch(() => undefined), 60_000);
  sweep.unref();
  // Unix socket paths are limited to ~100 bytes, so the socket lives in a short temp dir.
  const socketDir = mkdtempSync(join(tmpdir(), 'tollgate-pg-'));
  const server = new PGLiteSocketServer({
    db,
    path: join(socketDir, `.s.PGSQL.${SOCKET_PORT}`),
    maxConnections: 2,
  });
  await server.start();
  return {
    host: socketDir,
    port: SOCKET_PORT,
    dataDir: dir,
    async stop() {
      clearInterval(sweep);
      await server.stop();
      await db.close();
      await ownerOnly(dir).catch(() => undefined);
      rmSync(socketDir, { recursive: true, force: true });
    },
  };
}

/** Every file under `dir` 0600, every folder 0700. */
async function ownerOnly(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      await chmod(p, 0o700);
      await ownerOnly(p);
    } else if (entry.isFile()) await chmod(p, 0o600);
  }
}
