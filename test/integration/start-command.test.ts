import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminClient } from '../helpers/http';
import { freePort, spawnTollgate } from '../helpers/process';
import { waitFor } from '../helpers/topology';

test('`tollgate start` runs on the embedded database, prints the Admin API address, and keeps data across restarts', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-start-'));
  const port = await freePort();
  const proxyPort = await freePort();
  const env = {
    TOLLGATE_DATA_DIR: dataDir,
    TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${port}`,
    TOLLGATE_CLUSTER_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
    TOLLGATE_PROXY_SSL_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_CP_URL: undefined,
    DATABASE_URL: undefined,
  };
  try {
    const first = spawnTollgate(['start'], env);
    const m = await first.waitFor(/Admin API listening on (http:\/\/\S+)/);
    assert.equal(m[1], `http://127.0.0.1:${port}`);
    await first.waitFor(/data plane \S+: proxy listening on http:\/\/127\.0\.0\.1:\d+/);
    // The new database was created in a child process (initdb's WASM heap, ~500 MB, is not kept)
    // and runs with shared memory sized for one session: measured ~210–250 MB, 850 MB before.
    const rssMb =
      Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${first.child.pid}/status`, 'utf8'))![1]) / 1024;
    assert.ok(
      rssMb < 450,
      `the control plane of \`tollgate start\` holds ${Math.round(rssMb)} MB after its first start`,
    );
    const api = adminClient(m[1]);
    assert.equal(
      (await api('POST', '/services', { name: 'persisted', url: 'http://up.example.com/x' })).status,
      201,
    );
    assert.equal((await api('POST', '/consumers', { username: 'kept' })).status, 201);
    // the bundled data plane serves what the control plane holds (the upstream's name does not
    // resolve: Kong's 503 "name resolution failed")
    assert.equal((await api('POST', '/services/persisted/routes', { name: 'p', paths: ['/p'] })).status, 201);
    await waitFor(
      'the route on the bundled data plane',
      async () => (await fetch(`http://127.0.0.1:${proxyPort}/p`)).status === 503,
    );
    const v1 = (await api('GET', '/config')).body;
    assert.equal(await first.stop('SIGTERM'), 0, first.output());

    // A crash must not lose committed data either.
    const second = spawnTollgate(['start'], env);
    await second.waitFor(/Admin API listening on/);
    assert.equal((await api('GET', '/services/persisted')).body.path, '/x');
    assert.equal((await api('POST', '/consumers', { username: 'after-restart' })).status, 201);
    await second.stop('SIGKILL');

    const third = spawnTollgate(['start'], env);
    await third.waitFor(/Admin API listening on/);
    const v3 = (await api('GET', '/config')).body;
    assert.equal(v3.version, v1.version + 1);
    await third.waitFor(/proxy listening on/);
    assert.ok(v3.config.consumers.some((c: any) => c.username === 'after-restart'));
    assert.equal((await api('GET', '/consumers/kept')).status, 200);
    await third.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('binding the Admin API beyond loopback without a token exits with a clear message', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-start-'));
  try {
    const p = spawnTollgate(['control-plane'], {
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_ADMIN_LISTEN: '0.0.0.0:0',
      TOLLGATE_ADMIN_TOKEN: undefined,
    });
    assert.equal(await p.exit(), 1);
    assert.match(p.output(), /refusing to bind the Admin API to 0\.0\.0\.0:0 without TOLLGATE_ADMIN_TOKEN/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a database folder with files but no database is refused with a clear message, never overwritten', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-start-'));
  try {
    mkdirSync(join(dataDir, 'pgdata'), { recursive: true });
    writeFileSync(join(dataDir, 'pgdata', 'notes.txt'), 'not a database');
    const p = spawnTollgate(['control-plane'], {
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${await freePort()}`,
      TOLLGATE_CLUSTER_LISTEN: `127.0.0.1:${await freePort()}`,
      DATABASE_URL: undefined,
    });
    assert.notEqual(await p.exit(), 0);
    assert.match(p.output(), /holds files but no database \(no PG_VERSION\)/);
    assert.equal(readFileSync(join(dataDir, 'pgdata', 'notes.txt'), 'utf8'), 'not a database');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a database whose creation was cut short is created again, not taken for a whole one', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-start-'));
  const port = await freePort();
  try {
    // What a start killed during initdb leaves: the marker, and PG_VERSION written early.
    mkdirSync(join(dataDir, 'pgdata'), { recursive: true });
    writeFileSync(join(dataDir, 'pgdata', '.tollgate-creating'), '');
    writeFileSync(join(dataDir, 'pgdata', 'PG_VERSION'), '17\n');
    const p = spawnTollgate(['control-plane'], {
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${port}`,
      TOLLGATE_CLUSTER_LISTEN: `127.0.0.1:${await freePort()}`,
      DATABASE_URL: undefined,
    });
    await p.waitFor(/Admin API listening on/);
    const api = adminClient(`http://127.0.0.1:${port}`);
    assert.equal((await api('POST', '/consumers', { username: 'after-recreate' })).status, 201);
    assert.equal(existsSync(join(dataDir, 'pgdata', '.tollgate-creating')), false);
    await p.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
