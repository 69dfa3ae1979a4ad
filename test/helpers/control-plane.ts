import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { startControlPlane, type RunningControlPlane } from '../../control-plane/main';
import type { ControlPlaneOptions } from '../../control-plane/options';

export interface TestDatabase {
  /** For the control plane: a fresh database URL, or undefined for embedded PGlite. */
  databaseUrl?: string;
  dataDir: string;
  drop(): Promise<void>;
}

/**
 * With DATABASE_URL set, each test gets its own database on that server (created here, dropped
 * after); without it, the embedded PGlite in a fresh temp dir.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-test-'));
  const base = process.env.DATABASE_URL;
  if (!base) return { dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  const name = `tollgate_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    databaseUrl: url.toString(),
    dataDir,
    async drop() {
      const c = new Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestControlPlane {
  cp: RunningControlPlane;
  url: string;
  db: TestDatabase;
  close(): Promise<void>;
}

export async function startTestControlPlane(
  overrides: Partial<ControlPlaneOptions> = {},
): Promise<TestControlPlane> {
  const db = await createTestDatabase();
  const cp = await startControlPlane({
    adminListen: { host: '127.0.0.1', port: 0 },
    clusterListen: { host: '127.0.0.1', port: 0 },
    databaseUrl: db.databaseUrl,
    dataDir: db.dataDir,
    ...overrides,
  });
  return {
    cp,
    url: cp.adminUrl,
    db,
    async close() {
      await cp.close();
      await db.drop();
    },
  };
}

/** A database created on `serverUrl` for the duration of `fn`, then dropped. */
export async function withScratchDatabase<T>(serverUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `tollgate_scratch_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
