import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../helpers/control-plane';
import { adminClient } from '../helpers/http';
import {
  dpStatus,
  startCpProcess,
  startDpProcess,
  startEchoUpstream,
  waitConverged,
  waitFor,
  type CpProcess,
  type DpProcess,
} from '../helpers/topology';

const TOKEN = 'cluster-secret-token';

describe('1 control plane + 3 data planes (separate processes)', () => {
  let db: TestDatabase;
  let cp: CpProcess;
  let dps: DpProcess[] = [];
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let api: ReturnType<typeof adminClient>;

  const configHash = async () => (await api('GET', '/config')).body.hash as string;

  before(async () => {
    db = await createTestDatabase();
    upstream = await startEchoUpstream();
    cp = await startCpProcess({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, clusterToken: TOKEN });
    api = adminClient(cp.adminUrl);
    dps = await Promise.all(
      [0, 1, 2].map(() => startDpProcess({ cpUrl: cp.clusterUrl, clusterToken: TOKEN })),
    );
  });

  after(async () => {
    await Promise.all(dps.map((d) => d.proc.stop('SIGKILL')));
    await cp?.proc.stop('SIGKILL');
    await upstream?.close();
    await db?.drop();
  });

  test('every Admin API write reaches every data plane', async () => {
    await waitConverged(dps, await configHash());
    for (const step of [
      () => api('POST', '/services', { name: 'echo', url: `${upstream.url}/base` }),
      () => api('POST', '/services/echo/routes', { name: 'echo-route', paths: ['/echo'] }),
      () => api('PATCH', '/routes/echo-route', { strip_path: false }),
      () => api('POST', '/consumers', { username: 'sync-user' }),
    ]) {
      const r = await step();
      assert.ok(r.status < 300, r.text);
      await waitConverged(dps, await configHash());
    }
    for (const dp of dps) {
      const res = await fetch(`${dp.proxyUrl}/echo/x?q=1`);
      assert.equal(res.status, 200);
      const seen = (await res.json()) as any;
      assert.equal(seen.url, '/base/echo/x?q=1');
    }
    const planes = (await api('GET', '/clustering/data-planes')).body.data;
    assert.equal(planes.length, 3);
    const hash = await configHash();
    for (const p of planes) {
      assert.equal(p.sync_status, 'normal');
      assert.equal(p.config_hash, hash);
      assert.equal(p.connected, true);
      assert.equal(p.ip, '127.0.0.1');
    }
  });

  test('a wrong cluster token is refused before any config is sent', async () => {
    const intruder = await startDpProcess({ cpUrl: cp.clusterUrl, clusterToken: 'wrong-token' });
    try {
      await waitFor('the refusal', async () =>
        (await dpStatus(intruder)).control_plane.last_error?.includes('401'),
      );
      const s = await dpStatus(intruder);
      assert.equal(s.configuration_version, 0);
      assert.equal(s.control_plane.connected, false);
      assert.equal((await fetch(`${intruder.statusUrl}/status/ready`)).status, 503);
      const planes = (await api('GET', '/clustering/data-planes')).body.data;
      assert.equal(planes.length, 3);
    } finally {
      await intruder.proc.stop('SIGKILL');
    }
  });

  test('a data plane without a configured plugin is reported and keeps its last good config', async () => {
    const lacking = await startDpProcess({
      cpUrl: cp.clusterUrl,
      clusterToken: TOKEN,
      plugins: 'key-auth,cors',
    });
    try {
      await waitConverged([lacking], await configHash());
      const r = await api('POST', '/routes/echo-route/plugins', { name: 'request-transformer-advanced' });
      assert.equal(r.status, 201);
      const hash = await configHash();
      await waitConverged(dps, hash);
      const status = await waitFor('plugin_set_incompatible on the DP', async () => {
        const s = await dpStatus(lacking);
        return s.control_plane.sync_status === 'plugin_set_incompatible' ? s : undefined;
      });
      assert.match(
        status.control_plane.reason,
        /configured request-transformer-advanced plugin is missing from data plane/,
      );
      assert.notEqual(status.configuration_hash, hash);
      const planes = (await api('GET', '/clustering/data-planes')).body.data;
      const row = planes.find((p: any) => p.sync_status === 'plugin_set_incompatible');
      assert.ok(row, JSON.stringify(planes));
      assert.match(row.sync_reason, /request-transformer-advanced/);
      // still serving its last good config
      assert.equal((await fetch(`${lacking.proxyUrl}/echo/still`)).status, 200);
      assert.match(lacking.proc.output(), /plugin_set_incompatible/);
      // removing the plugin makes it compatible again
      await api('DELETE', `/plugins/${r.body.id}`);
      await waitConverged([lacking, ...dps], await configHash());
    } finally {
      await lacking.proc.stop('SIGKILL');
    }
  });

  test('control plane down: data planes keep proxying, restart from cache, and catch up', async () => {
    let failures = 0;
    let ok = 0;
    let running = true;
    let targets = [...dps];
    let round: Promise<unknown> = Promise.resolve();
    const load = (async () => {
      while (running) {
        round = Promise.all(
          targets.map(async (dp) => {
            try {
              const res = await fetch(`${dp.proxyUrl}/echo/load`);
              await res.arrayBuffer();
              if (res.status === 200) ok++;
              else failures++;
            } catch {
              failures++;
            }
          }),
        );
        await round;
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 300));
      await cp.proc.stop('SIGKILL');
      await waitFor('DPs to notice', async () =>
        (await Promise.all(dps.map(dpStatus))).every((s) => !s.control_plane.connected),
      );
      await new Promise((r) => setTimeout(r, 500));

      // restart one DP while the CP is down: it serves from its cache
      const [first, ...others] = dps;
      targets = others; // a DP being restarted on purpose is out of the load balancer
      await round;
      await round;
      await first.proc.stop('SIGKILL');
      const restarted = await startDpProcess({
        cpUrl: cp.clusterUrl,
        clusterToken: TOKEN,
        dataDir: first.env.TOLLGATE_DATA_DIR,
        proxyPort: Number(new URL(first.proxyUrl).port),
        statusPort: Number(new URL(first.statusUrl).port),
        wait: /serving cached config version[\s\S]*proxy listening on/,
      });
      dps = [restarted, ...others];
      targets = [...dps];
      const res = await fetch(`${restarted.proxyUrl}/echo/cached`);
      assert.equal(res.status, 200);
      assert.equal((await fetch(`${restarted.statusUrl}/status/ready`)).status, 200);
    } finally {
      running = false;
      await load;
    }
    assert.ok(ok > 50, `requests served during the outage: ${ok}`);
    assert.equal(failures, 0);

    // CP back: a change made meanwhile reaches everyone
    cp = await startCpProcess({
      databaseUrl: cp.env.DATABASE_URL,
      dataDir: cp.env.TOLLGATE_DATA_DIR,
      clusterToken: TOKEN,
      adminPort: Number(new URL(cp.adminUrl).port),
      clusterPort: Number(new URL(cp.clusterUrl).port),
    });
    await api('POST', '/consumers', { username: 'after-outage' });
    await waitConverged(dps, await configHash(), 30000);
  });
});
