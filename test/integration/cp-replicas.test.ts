import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { createTestDatabase } from '../helpers/control-plane';
import { adminClient } from '../helpers/http';
import { startCpProcess, startDpProcess, startEchoUpstream, waitConverged } from '../helpers/topology';

// Replicas share state through Postgres (LISTEN/NOTIFY); the embedded database is one process's.
const PG_URL =
  process.env.DATABASE_URL ??
  process.env.TOLLGATE_TEST_PG_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';

async function postgresReachable(): Promise<boolean> {
  const c = new Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

test('two control-plane replicas on one Postgres: a write on either reaches data planes on both', async (t) => {
  if (!(await postgresReachable())) {
    t.skip(`no Postgres server at ${PG_URL} (set TOLLGATE_TEST_PG_URL)`);
    return;
  }
  const saved = process.env.DATABASE_URL;
  process.env.DATABASE_URL = PG_URL;
  const db = await createTestDatabase();
  if (saved === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = saved;

  const upstream = await startEchoUpstream();
  const token = 'replica-token';
  const cpA = await startCpProcess({ databaseUrl: db.databaseUrl, clusterToken: token });
  const cpB = await startCpProcess({ databaseUrl: db.databaseUrl, clusterToken: token });
  const dpsA = await Promise.all(
    [0, 1].map(() => startDpProcess({ cpUrl: cpA.clusterUrl, clusterToken: token })),
  );
  const dpsB = await Promise.all(
    [0, 1].map(() => startDpProcess({ cpUrl: cpB.clusterUrl, clusterToken: token })),
  );
  const all = [...dpsA, ...dpsB];
  try {
    const a = adminClient(cpA.adminUrl);
    const b = adminClient(cpB.adminUrl);
    assert.equal((await a('POST', '/services', { name: 'rep', url: upstream.url })).status, 201);
    await waitConverged(all, (await b('GET', '/config')).body.hash);
    assert.equal((await b('POST', '/services/rep/routes', { name: 'rep', paths: ['/rep'] })).status, 201);
    const hashA = (await a('GET', '/config')).body.hash;
    assert.equal(hashA, (await b('GET', '/config')).body.hash);
    await waitConverged(all, hashA);
    for (const dp of all) assert.equal((await fetch(`${dp.proxyUrl}/rep`)).status, 200);
    // burst of writes on alternating replicas: everyone ends on the newest config
    for (let i = 0; i < 10; i++) await (i % 2 ? a : b)('POST', '/consumers', { username: `burst-${i}` });
    await waitConverged(all, (await a('GET', '/config')).body.hash);
    const planes = (await b('GET', '/clustering/data-planes')).body.data;
    assert.equal(planes.length, 4);
  } finally {
    await Promise.all(all.map((d) => d.proc.stop('SIGKILL')));
    await cpA.proc.stop('SIGKILL');
    await cpB.proc.stop('SIGKILL');
    await upstream.close();
    await db.drop();
  }
});
