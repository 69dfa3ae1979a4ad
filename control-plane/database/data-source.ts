import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations';
import type { EmbeddedPostgres } from './embedded-postgres';

export type DatabaseKind = 'postgres' | 'embedded';

/** TypeORM options for either a Postgres server (DATABASE_URL) or the embedded PGlite socket. */
export function dataSourceOptions(
  databaseUrl: string | undefined,
  embedded?: EmbeddedPostgres,
): DataSourceOptions {
  const base = {
    type: 'postgres' as const,
    migrations,
    migrationsRun: true,
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    entities: [],
    logging: false as const,
  };
  if (databaseUrl) return { ...base, url: databaseUrl, extra: { max: 10 } };
  if (!embedded) throw new Error('no DATABASE_URL and no embedded database');
  // One connection: PGlite is single-session (see embedded-postgres.ts).
  return {
    ...base,
    host: embedded.host,
    port: embedded.port,
    username: 'postgres',
    database: 'postgres',
    extra: { max: 1 },
  };
}
