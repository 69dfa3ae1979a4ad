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
  const db = await createScratchDatabase(base);
  return {
    databaseUrl: db.url,
    dataDir,
    async drop() {
      await db.drop();
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

/** A fresh database on `serverUrl`, and how to drop it. */
export async function createScratchDatabase(
  serverUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `tollgate_scratch_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A database created on `serverUrl` for the duration of `fn`, then dropped. */
export async function withScratchDatabase<T>(serverUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const db = await createScratchDatabase(serverUrl);
  try {
    return await fn(db.url);
  } finally {
    await db.drop();
  }
}
