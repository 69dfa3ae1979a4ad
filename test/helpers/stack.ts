/** A control plane and a data plane in this process, wired as in production. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDataPlane, type RunningDataPlane } from '../../data-plane/main';
import { startTestControlPlane, type TestControlPlane } from './control-plane';
import { adminClient } from './http';
import { waitFor } from './topology';

export interface Stack {
  cp: TestControlPlane;
  dp: RunningDataPlane;
  api: ReturnType<typeof adminClient>;
  /** Wait until the data plane runs the control plane's newest config. */
  synced(): Promise<void>;
  close(): Promise<void>;
}

export async function startStack(opts: { ssl?: boolean; plugins?: string[] } = {}): Promise<Stack> {
  const cp = await startTestControlPlane();
  const api = adminClient(cp.url);
  const lines: string[] = [];
  const dp = await startDataPlane(
    {
      proxyListen: { host: '127.0.0.1', port: 0 },
      proxySslListen: opts.ssl ? { host: '127.0.0.1', port: 0 } : null,
      statusListen: { host: '127.0.0.1', port: 0 },
      cpUrl: cp.cp.clusterUrl,
      dataDir: mkdtempSync(join(tmpdir(), 'tollgate-stack-dp-')),
      nodeId: '',
      plugins: opts.plugins,
    },
    { log: (l) => lines.push(l) },
  );
  const synced = async () => {
    const { hash } = (await api('GET', '/config')).body;
    await waitFor(
      `data plane to run ${hash.slice(0, 8)}`,
      async () => dp.holder.current?.hash === hash,
      10000,
    );
  };
  await synced();
  return {
    cp,
    dp,
    api,
    synced,
    async close() {
      await dp.close();
      await cp.close();
    },
  };
}

/** Create through the Admin API, failing loudly on any error. */
export async function mustCreate(api: ReturnType<typeof adminClient>, path: string, body: unknown) {
  const r = await api('POST', path, body);
  if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${r.text}`);
  return r.body;
}
