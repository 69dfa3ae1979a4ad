/**
 * How the embedded PGlite runs. Postgres's defaults size shared memory for a server (160 MB of
 * shared buffers, 100 connections); PGlite serves one session in the control plane's process,
 * so they are sized for that: idle RSS drops from ~290 MB to ~155 MB for the database. Larger
 * analytics stores belong on a Postgres server (DATABASE_URL) anyway.
 */
import type { PGliteOptions } from '@electric-sql/pglite';

export const EMBEDDED_SETTINGS: Record<string, string> = {
  shared_buffers: '16MB',
  max_connections: '8',
  wal_buffers: '1MB',
};

export async function embeddedOptions(): Promise<PGliteOptions> {
  const { PGlite } = await import('@electric-sql/pglite');
  return {
    startParams: [
      ...PGlite.defaultStartParams,
      ...Object.entries(EMBEDDED_SETTINGS).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ],
  };
}
