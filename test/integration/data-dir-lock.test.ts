/**
 * One data directory, one owner: a second `tollgate start` on the same directory fails at once,
 * naming the directory and the running pid, before it opens the database; the first keeps every
 * write. A lock left by a process that was killed is taken over.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminClient } from '../helpers/http';
import { freePort, spawnTollgate } from '../helpers/process';
import { mustCreate } from '../helpers/stack';
import { DataDirInUse, lockDataDir } from '../../shared/data-dir-lock';

async function startEnv(dataDir: string) {
  return {
    TOLLGATE_DATA_DIR: dataDir,
    TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_CLUSTER_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_PROXY_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_PROXY_SSL_LISTEN: 'off',
    TOLLGATE_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_CONSOLE_LISTEN: 'off',
    TOLLGATE_CP_URL: undefined,
    TOLLGATE_CLUSTER_TOKEN: undefined,
    DATABASE_URL: undefined,
  };
}

test('a lock is exclusive per role, released on close, and taken over from a dead owner', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-lock-'));
  try {
    const first = await lockDataDir(dir, 'control-plane');
    await assert.rejects(lockDataDir(dir, 'control-plane'), (err: Error) => {
      assert.ok(err instanceof DataDirInUse);
      assert.match(
        err.message,
        new RegExp(`${dir}.* in use by another tollgate control-plane \\(pid ${process.pid}\\)`),
      );
      return true;
    });
    const dp = await lockDataDir(dir, 'data-plane'); // another role: its own lock
    await dp.release();
    await first.release();
    (await lockDataDir(dir, 'control-plane')).release();

    // A process holding the lock is killed (no chance to clean up): the next owner takes over.
    const holder = spawn(process.execPath, [
      '-e',
      `require(${JSON.stringify(join(__dirname, '..', '..', 'shared', 'data-dir-lock.js'))}).lockDataDir(${JSON.stringify(dir)}, 'data-plane').then(() => { console.log('locked'); setInterval(() => {}, 1000); })`,
    ]);
    await new Promise<void>((resolve) =>
      holder.stdout.on('data', (d) => String(d).includes('locked') && resolve()),
    );
    await assert.rejects(lockDataDir(dir, 'data-plane'), new RegExp(`pid ${holder.pid}`));
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    assert.ok(existsSync(join(dir, '.data-plane.lock')), 'the dead owner left its socket file');
    await (await lockDataDir(dir, 'data-plane')).release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two `tollgate start` on one data directory: the second fails at once; no write is lost', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-two-'));
  const env1 = await startEnv(dataDir);
  const first = spawnTollgate(['start'], env1);
  try {
    await first.waitFor(/data plane \S+: proxy listening on/);
    const api = adminClient(`http://${env1.TOLLGATE_ADMIN_LISTEN}`);
    await mustCreate(api, '/consumers', { username: 'kept' });
    // Other ports, same directory.
    const second = spawnTollgate(['start'], await startEnv(dataDir));
    const code = await second.exit();
    assert.equal(code, 1, second.output());
    assert.match(
      second.output(),
      new RegExp(
        `data directory ${dataDir} is in use by another tollgate control-plane \\(pid ${first.child.pid}\\)`,
      ),
    );
    assert.doesNotMatch(second.output(), /Admin API listening|analytics/);
    await mustCreate(api, '/consumers', { username: 'kept-too' });
    await first.stop();
    // Restarted on the same directory: every write of the first is there.
    const env3 = await startEnv(dataDir);
    const third = spawnTollgate(['start'], env3);
    try {
      await third.waitFor(/Admin API listening/);
      const again = adminClient(`http://${env3.TOLLGATE_ADMIN_LISTEN}`);
      for (const name of ['kept', 'kept-too'])
        assert.equal((await again('GET', `/consumers/${name}`)).status, 200);
    } finally {
      await third.stop();
    }
  } finally {
    await first.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
