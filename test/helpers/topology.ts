/**
 * Multi-process topologies: control planes and data planes as separate OS processes, exactly
 * as an operator runs them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort, spawnTollgate, type Spawned } from './process';

export interface CpProcess {
  proc: Spawned;
  adminUrl: string;
  clusterUrl: string;
  env: Record<string, string | undefined>;
}

export async function startCpProcess(opts: {
  databaseUrl?: string;
  dataDir?: string;
  clusterToken?: string;
  adminPort?: number;
  clusterPort?: number;
}): Promise<CpProcess> {
  const adminPort = opts.adminPort ?? (await freePort());
  const clusterPort = opts.clusterPort ?? (await freePort());
  const env = {
    TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
    TOLLGATE_CLUSTER_LISTEN: `127.0.0.1:${clusterPort}`,
    DATABASE_URL: opts.databaseUrl,
    TOLLGATE_DATA_DIR: opts.dataDir ?? mkdtempSync(join(tmpdir(), 'tollgate-cp-')),
    TOLLGATE_CLUSTER_TOKEN: opts.clusterToken,
    TOLLGATE_ADMIN_TOKEN: undefined,
  };
  const proc = spawnTollgate(['control-plane'], env);
  await proc.waitFor(/cluster listener on/);
  return {
    proc,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    clusterUrl: `ws://127.0.0.1:${clusterPort}`,
    env,
  };
}

export interface DpProcess {
  proc: Spawned;
  proxyUrl: string;
  statusUrl: string;
  env: Record<string, string | undefined>;
}

export async function startDpProcess(opts: {
  cpUrl: string;
  clusterToken?: string;
  dataDir?: string;
  plugins?: string;
  proxyPort?: number;
  statusPort?: number;
  wait?: RegExp;
  env?: Record<string, string>;
  /** Another build's `bin/tollgate.js`. */
  bin?: string;
}): Promise<DpProcess> {
  const proxyPort = opts.proxyPort ?? (await freePort());
  const statusPort = opts.statusPort ?? (await freePort());
  const env = {
    TOLLGATE_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
    TOLLGATE_PROXY_SSL_LISTEN: 'off',
    TOLLGATE_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
    TOLLGATE_CP_URL: opts.cpUrl,
    TOLLGATE_CLUSTER_TOKEN: opts.clusterToken,
    TOLLGATE_DATA_DIR: opts.dataDir ?? mkdtempSync(join(tmpdir(), 'tollgate-dp-')),
    TOLLGATE_PLUGINS: opts.plugins,
    DATABASE_URL: undefined,
    ...opts.env,
  };
  const proc = spawnTollgate(['data-plane'], env, opts.bin);
  await proc.waitFor(opts.wait ?? /proxy listening on/);
  return {
    proc,
    proxyUrl: `http://127.0.0.1:${proxyPort}`,
    statusUrl: `http://127.0.0.1:${statusPort}`,
    env,
  };
}

export async function dpStatus(dp: { statusUrl: string }): Promise<any> {
  const res = await fetch(`${dp.statusUrl}/status`);
  return res.json();
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 15000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Wait until every DP runs `hash`. */
export async function waitConverged(dps: { statusUrl: string }[], hash: string, timeoutMs = 15000) {
  await waitFor(
    `data planes to run ${hash.slice(0, 12)}`,
    async () => {
      const all = await Promise.all(dps.map(dpStatus));
      return all.every((s) => s.configuration_hash === hash);
    },
    timeoutMs,
  );
}

/** An upstream that answers every request with JSON describing what it received. */
export async function startEchoUpstream(): Promise<{
  url: string;
  server: Server;
  port: number;
  close(): Promise<void>;
}> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    port,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
