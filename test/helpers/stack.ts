import { request as httpRequest } from 'node:http';
/** A control plane and a data plane in this process, wired as in production. */
import type { DnsOptions } from '../../data-plane/dns/dns-options';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDataPlane, type RunningDataPlane } from '../../data-plane/main';
import { startTestControlPlane, type TestControlPlane } from './control-plane';
import { adminClient } from './http';
import { waitFor } from './topology';
import type { ControlPlaneOptions } from '../../control-plane/options';

export interface Stack {
  cp: TestControlPlane;
  dp: RunningDataPlane;
  api: ReturnType<typeof adminClient>;
  /** The data plane's data dir (its config cache). */
  dpDataDir: string;
  /** Wait until the data plane runs the control plane's newest config. */
  synced(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `allowedHosts` defaults to `*`: most tests route by made-up Host and Origin names (`gw.test`,
 * `https://app.example.com`) on a loopback listener, which DNS-rebinding protection would refuse;
 * the tests of that protection pass `[]`.
 */
export async function startStack(
  opts: {
    ssl?: boolean;
    plugins?: string[];
    allowedHosts?: string[];
    analytics?: boolean;
    controlPlane?: Partial<ControlPlaneOptions>;
    dns?: DnsOptions;
  } = {},
): Promise<Stack> {
  const cp = await startTestControlPlane(opts.controlPlane);
  const api = adminClient(cp.url);
  const lines: string[] = [];
  const dpDataDir = mkdtempSync(join(tmpdir(), 'tollgate-stack-dp-'));
  const dp = await startDataPlane(
    {
      proxyListen: { host: '127.0.0.1', port: 0 },
      proxySslListen: opts.ssl ? { host: '127.0.0.1', port: 0 } : null,
      statusListen: { host: '127.0.0.1', port: 0 },
      cpUrl: cp.cp.clusterUrl,
      dataDir: dpDataDir,
      nodeId: '',
      plugins: opts.plugins,
      allowedHosts: opts.allowedHosts ?? ['*'],
      analytics: opts.analytics,
      dns: opts.dns,
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
    dpDataDir,
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

export interface Sent {
  status: number;
  headers: Record<string, any>;
  body: string;
  json: any;
}

/** One request through a proxy listener, with full control of the Host header. */
export function sendThrough(
  proxyUrl: string,
  path: string,
  opts: { method?: string; host?: string; headers?: Record<string, string | string[]>; body?: string } = {},
): Promise<Sent> {
  const url = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: opts.method ?? 'GET',
        headers: { host: opts.host ?? 'gw.test', ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let json: any;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode!, headers: res.headers, body, json });
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
