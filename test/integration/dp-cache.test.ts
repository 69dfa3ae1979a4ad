import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDataPlane } from '../../data-plane/main';
import { startTestControlPlane } from '../helpers/control-plane';
import { adminClient } from '../helpers/http';
import { waitFor } from '../helpers/topology';

test('a data plane with a corrupt cache reports it, is not ready, then syncs from the control plane', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dp-corrupt-'));
  writeFileSync(join(dir, 'dp-config.json'), '{"version": 3, "hash": "abc", "config": {"servi');
  const t = await startTestControlPlane();
  const lines: string[] = [];
  const dp = await startDataPlane(
    {
      proxyListen: { host: '127.0.0.1', port: 0 },
      proxySslListen: null,
      statusListen: { host: '127.0.0.1', port: 0 },
      // nothing listens here yet: the DP must come up anyway
      cpUrl: 'ws://127.0.0.1:1',
      dataDir: dir,
      nodeId: '0b1c2d3e-4f50-4617-8899-aabbccddeeff',
    },
    { log: (l) => lines.push(l) },
  );
  try {
    const status = (await (await fetch(`${dp.statusUrl}/status`)).json()) as any;
    assert.match(status.cache_problem, /corrupt/);
    assert.equal(status.configuration_version, 0);
    assert.equal((await fetch(`${dp.statusUrl}/status/ready`)).status, 503);
    assert.ok(lines.some((l) => /ignoring config cache/.test(l)));
    const proxied = await fetch(`${dp.proxyUrl}/anything`);
    assert.equal(proxied.status, 503);
    await dp.close();

    // Pointed at a real control plane it loads a config and becomes ready.
    await adminClient(t.url)('POST', '/services', { name: 's', url: 'http://127.0.0.1:9' });
    const dp2 = await startDataPlane(
      {
        proxyListen: { host: '127.0.0.1', port: 0 },
        proxySslListen: null,
        statusListen: { host: '127.0.0.1', port: 0 },
        cpUrl: t.cp.clusterUrl,
        dataDir: dir,
        nodeId: '0b1c2d3e-4f50-4617-8899-aabbccddeeff',
      },
      { log: () => undefined },
    );
    try {
      await waitFor('ready', async () => (await fetch(`${dp2.statusUrl}/status/ready`)).status === 200);
      const metrics = await (await fetch(`${dp2.statusUrl}/metrics`)).text();
      assert.match(metrics, /tollgate_config_version [1-9]/);
      assert.match(metrics, /tollgate_control_plane_connected 1/);
    } finally {
      await dp2.close();
    }
  } finally {
    await t.close();
  }
});
