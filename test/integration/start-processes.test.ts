/**
 * `tollgate start` runs its data plane in a child process (the embedded database never shares
 * the proxy's event loop), which goes away with the parent even when the parent is SIGKILLed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnTollgate, type Spawned } from '../helpers/process';
import { waitFor } from '../helpers/topology';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('the data plane of `tollgate start` is its own process and dies with its parent', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-procs-'));
  let statusPort = 0;
  let p: Spawned | undefined;
  // A port picked free can be taken by a test running beside this one before `start` binds it:
  // on EADDRINUSE, start again on other ports.
  for (let attempt = 1; !p; attempt++) {
    statusPort = await freePort();
    const candidate = spawnTollgate(['start'], {
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${await freePort()}`,
      TOLLGATE_CLUSTER_LISTEN: `127.0.0.1:${await freePort()}`,
      TOLLGATE_PROXY_LISTEN: `127.0.0.1:${await freePort()}`,
      TOLLGATE_PROXY_SSL_LISTEN: 'off',
      TOLLGATE_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
      TOLLGATE_CP_URL: undefined,
      TOLLGATE_CLUSTER_TOKEN: undefined,
      DATABASE_URL: undefined,
    });
    try {
      await candidate.waitFor(/data plane \S+: proxy listening on/);
      p = candidate;
    } catch (err) {
      await candidate.stop('SIGKILL').catch(() => undefined);
      if (attempt >= 3 || !/EADDRINUSE/.test(String(err))) throw err;
    }
  }
  try {
    const parent = p.child.pid!;
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(parent)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter(Boolean);
    assert.equal(children.length, 1, `children of ${parent}: ${children.join(', ')}`);
    const dp = children[0];
    // the status listener belongs to the child, and it is connected to the parent's control plane
    await waitFor('the child data plane connected', async () => {
      const r = await fetch(`http://127.0.0.1:${statusPort}/status`).catch(() => null);
      return !!r && r.ok && JSON.stringify(await r.json()).includes('"connected":true');
    });
    p.child.kill('SIGKILL');
    await waitFor('the child data plane to exit after its parent was killed', async () => !alive(dp), 15000);
  } finally {
    await p.stop('SIGKILL').catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
