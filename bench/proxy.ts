/**
 * Proxy cost, side by side in one run: the upstream directly, nginx as a plain reverse proxy, a
 * minimal Node proxy (node:http + undici Pool: the runtime's ceiling), and Tollgate (a route
 * without plugins; the seed's full GitHub MCP chain applied with `tollgate sync`: datakit,
 * key-auth, ai-mcp-proxy ACLs with logging, cors, analytics), split CP/DP and `tollgate start`.
 * Upstream: nginx with canned `tools/call` results, JSON or SSE, 1 KB or 16 KB, so the upstream
 * is never the bottleneck. Load: wrk -t1 with a 120-byte JSON-RPC POST. Needs `nginx` and `wrk`
 * (Debian: apt-get install -y nginx-light wrk).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { adminClient } from '../test/helpers/http';
import { configureFanOut, startToySources, writeModernScript } from './fan-out';
import { freePort, runTollgate, spawnTollgate, type Spawned } from '../test/helpers/process';
import { startCpProcess, startDpProcess, waitConverged } from '../test/helpers/topology';
import { SEED_ENV, seedPointedAt } from '../test/helpers/seed';
import { settle, treeCpu } from './process-tree';
import { writeWrkScript } from './wrk-script';

const DURATION = process.env.BENCH_DURATION ?? '5s';
const BODY =
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_repositories","arguments":{"query":"kong"}}}';

type Shape = 'json-1k' | 'json-16k' | 'sse-1k' | 'sse-16k';
const SHAPES: Shape[] = (process.env.BENCH_PROXY_SHAPES?.split(',') as Shape[] | undefined) ?? [
  'json-1k',
  'json-16k',
  'sse-1k',
  'sse-16k',
];

export function need(cmd: string) {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    throw new Error(`${cmd} is not installed (Debian: apt-get install -y nginx-light wrk)`);
  }
}

/** A `tools/call` result whose text makes the JSON-RPC message about `bytes` long. */
function result(bytes: number): string {
  const head = '{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"';
  const tail = '"}]}}';
  return head + 'x'.repeat(Math.max(0, bytes - head.length - tail.length)) + tail;
}

/**
 * Canned replies as files (nginx's `return` takes at most 4 KB): a POST to a static file is a
 * 405, turned into the file by `error_page 405 =200 $uri` (the internal redirect is a GET).
 */
export function upstreamLocations(root: string): string {
  // nginx's workers may run as another user (nobody when started as root): readable files.
  chmodSync(dirname(root), 0o711);
  mkdirSync(join(root, 'mcp'), { recursive: true, mode: 0o755 });
  chmodSync(root, 0o755);
  const loc = (shape: Shape) => {
    const message = result(shape.endsWith('16k') ? 16384 : 1024);
    const sse = shape.startsWith('sse');
    writeFileSync(join(root, 'mcp', shape), sse ? `event: message\ndata: ${message}\n\n` : message, {
      mode: 0o644,
    });
    return `location = /mcp/${shape} { root ${root}; default_type ${sse ? 'text/event-stream' : 'application/json'}; error_page 405 =200 $uri; }`;
  };
  return SHAPES.map(loc).join('\n  ');
}

export function startNginx(dir: string, name: string, server: string): ChildProcess {
  const prefix = join(dir, name);
  execFileSync('mkdir', ['-p', join(prefix, 'logs'), join(prefix, 'tmp')]);
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  keepalive_requests 1000000;
  ${server}
}
`,
  );
  return spawn('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { stdio: 'ignore' });
}

/** nginx serving the canned MCP answers (JSON and SSE, 1 KB and 16 KB) on `port`. */
export function startCannedUpstream(dir: string, port: number): ChildProcess {
  return startNginx(
    dir,
    'upstream',
    `server { listen 127.0.0.1:${port}; ${upstreamLocations(join(dir, 'upstream-www'))} }`,
  );
}

/** What the proxy benches share: a scratch dir, the wrk script and the canned upstream. */
export async function cannedBench(name: string) {
  need('nginx');
  need('wrk');
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const script = writePostScript(dir);
  const upPort = await freePort();
  return { dir, script, upPort, nginx: startCannedUpstream(dir, upPort) };
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface WrkResult {
  rps: number;
  requests: number;
  /** Latency percentiles in µs. */
  p50: number;
  p99: number;
  p999: number;
}

export function wrk(url: string, connections: number, script: string, duration = DURATION): WrkResult {
  const out = execFileSync('wrk', ['-t1', `-c${connections}`, `-d${duration}`, '-s', script, url], {
    encoding: 'utf8',
  });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const pct = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(out)?.[1] ?? NaN);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx) throw new Error(`${url}: ${non2xx[1]} non-2xx responses`);
  // A failed request is a failed run: connect/read/write errors and timeouts all count.
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (socketErrors && socketErrors.slice(1).some((n) => n !== '0')) {
    throw new Error(`${url}: ${socketErrors[0]}`);
  }
  if (!requests) throw new Error(`${url}: no request was answered`);
  return { rps, requests, p50: pct('P50'), p99: pct('P99'), p999: pct('P999') };
}

const us = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${Math.round(v)} µs`);

/** The bare route and the seed's chain, configured the way a user would. */
export async function configure(adminUrl: string, upstreamPort: number, dir: string) {
  const api = adminClient(adminUrl);
  await api('POST', '/services', { name: 'bench', url: `http://127.0.0.1:${upstreamPort}/mcp` });
  await api('POST', '/services/bench/routes', { name: 'bare', paths: ['/bare'] });
  const seed = join(dir, `seed-${upstreamPort}-${Date.now()}.yaml`);
  writeFileSync(seed, seedPointedAt(`http://127.0.0.1:${upstreamPort}`));
  const r = await runTollgate(['sync', seed], {
    env: { TOLLGATE_ADMIN_URL: adminUrl, TOLLGATE_ADMIN_TOKEN: undefined, ...SEED_ENV },
  });
  if (r.code !== 0) throw new Error(`tollgate sync: ${r.stderr}`);
  return (await api('GET', '/config')).body.hash as string;
}

/** The wrk script: a 120-byte `tools/call` POST with the seed chain's credentials; prints percentiles. */
export function writePostScript(dir: string): string {
  return writeWrkScript(dir, 'post', BODY, {
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    Authorization: 'Bearer bench-user-token',
    apikey: 'admin-api-key',
  });
}

/** A row: label, URL, the processes whose CPU it costs, and its wrk script (else the POST one). */
type Target = [label: string, url: string, proxyPid?: number, cpPid?: number, script?: string];

/**
 * One table: each target under load (32 connections) and alone (1 connection), with the CPU it
 * cost per request; ratios against the row labelled `reference` (the minimal Node proxy).
 */
async function measureRows(
  title: string,
  targets: Target[],
  script: string,
  reference = 'minimal',
): Promise<string> {
  const rows = [
    `| ${title} | 32 conns req/s | vs ${reference === 'minimal' ? 'minimal Node proxy' : reference} | 1 conn p50 / p99 / p99.9 | CPU µs/request: proxy (+ CP) |`,
    '|---|---|---|---|---|',
  ];
  const measured: { label: string; many: WrkResult; one: WrkResult; cpu: string }[] = [];
  for (const [label, url, proxyPid, cpPidOf, own] of targets) {
    const lua = own ?? script;
    wrk(url, 8, lua, '2s'); // warm-up (JIT, pools)
    const busy = [proxyPid, cpPidOf].filter((p): p is number => !!p);
    await settle(busy); // the warm-up's analytics are not the run's
    const sample = () => [proxyPid, cpPidOf].map((pid) => (pid ? treeCpu(pid) : 0));
    const before = sample();
    const many = wrk(url, 32, lua);
    // Analytics of the run's last requests (or a backlog) are still being ingested: counted
    // here, and finished before the next cell starts.
    await settle(busy);
    const after = sample();
    const perRequest = (i: number) => Math.round((after[i] - before[i]) / many.requests);
    const cpu = !proxyPid ? '' : cpPidOf ? `${perRequest(0)} (+ ${perRequest(1)})` : `${perRequest(0)}`;
    measured.push({ label, many, one: wrk(url, 1, lua), cpu });
    process.stderr.write(`${title} ${label}: ${Math.round(measured[measured.length - 1].many.rps)} req/s\n`);
  }
  const base = measured.find((m) => m.label.startsWith(reference))!.many.rps;
  for (const { label, many, one, cpu } of measured)
    rows.push(
      `| ${label} | ${Math.round(many.rps).toLocaleString('en-US')} | ${(many.rps / base).toFixed(2)}× | ${us(one.p50)} / ${us(one.p99)} / ${us(one.p999)} | ${cpu} |`,
    );
  return rows.join('\n');
}

export async function benchProxy(): Promise<string> {
  need('nginx');
  need('wrk');
  const dir = mkdtempSync(join(tmpdir(), 'bench-proxy-'));
  const script = writePostScript(dir);
  const upPort = await freePort();
  const nginxPort = await freePort();
  const minimalPort = await freePort();
  const procs: ChildProcess[] = [];
  const spawned: Spawned[] = [];
  const closers: (() => void)[] = [];
  const minimalProxy = spawn(
    process.execPath,
    [join(__dirname, 'minimal-proxy.js'), String(minimalPort), `http://127.0.0.1:${upPort}`],
    {
      stdio: 'ignore',
    },
  );
  procs.push(
    startCannedUpstream(dir, upPort),
    startNginx(
      dir,
      'proxy',
      `upstream up { server 127.0.0.1:${upPort}; keepalive 64; }
  server { listen 127.0.0.1:${nginxPort}; location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; } }`,
    ),
    minimalProxy,
  );

  // Split: a control plane process and data-plane processes.
  const cp = await startCpProcess({ dataDir: join(dir, 'cp') });
  spawned.push(cp.proc);
  const hash = await configure(cp.adminUrl, upPort, dir);
  // BENCH_PROXY_PROFILE=<dir>: the data planes write CPU profiles there (bench/cpu-profile.ts;
  // one worker each, so a profile holds every request; written when they stop).
  const profile = process.env.BENCH_PROXY_PROFILE;
  const profiling: Record<string, string> = profile
    ? {
        NODE_OPTIONS: `--require ${join(__dirname, 'cpu-profile.js')}`,
        BENCH_CPU_PROFILE_DIR: profile,
        TOLLGATE_DP_WORKERS: '1',
      }
    : {};
  const dp = await startDpProcess({ cpUrl: cp.clusterUrl, env: profiling });
  const quiet = await startDpProcess({
    cpUrl: cp.clusterUrl,
    env: { TOLLGATE_ANALYTICS: 'off', ...profiling },
  });
  spawned.push(dp.proc, quiet.proc);
  // BENCH_BASELINE=<a built checkout of another commit>: its data plane beside this one, on the
  // same control plane and upstream, so before and after are measured in one run.
  const baselineDir = process.env.BENCH_BASELINE;
  const baseline = baselineDir
    ? await startDpProcess({
        cpUrl: cp.clusterUrl,
        env: profiling,
        bin: join(baselineDir, 'bin', 'tollgate.js'),
      })
    : undefined;
  if (baseline) spawned.push(baseline.proc);
  await waitConverged(baseline ? [dp, quiet, baseline] : [dp, quiet], hash);

  // All in one: `tollgate start` as the README runs it (embedded database, DP child process).
  const startAdmin = await freePort();
  const startProxy = await freePort();
  const start = spawnTollgate(['start'], {
    TOLLGATE_DATA_DIR: join(dir, 'start'),
    TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${startAdmin}`,
    TOLLGATE_CLUSTER_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_PROXY_LISTEN: `127.0.0.1:${startProxy}`,
    TOLLGATE_PROXY_SSL_LISTEN: 'off',
    TOLLGATE_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_CP_URL: undefined,
    TOLLGATE_CLUSTER_TOKEN: undefined,
    TOLLGATE_ADMIN_TOKEN: undefined,
    DATABASE_URL: undefined,
  });
  spawned.push(start);
  await start.waitFor(/data plane \S+: proxy listening on/);
  await configure(`http://127.0.0.1:${startAdmin}`, upPort, dir);
  await new Promise((r) => setTimeout(r, 2000)); // the child data plane picks the config up

  const startUrl = `http://127.0.0.1:${startProxy}`;
  // Each row: label, URL, and the processes whose CPU it costs (the proxy's tree; the control
  // plane that ingests its analytics, where it is a process of its own — for `tollgate start`
  // it is in the proxy's tree, so that figure is both).
  const dpPid = dp.proc.child.pid;
  const cpPid = cp.proc.child.pid;
  const targets = (shape: Shape): Target[] => {
    const all: Target[] = [
      ['direct to upstream (nginx `return 200`)', `http://127.0.0.1:${upPort}/mcp/${shape}`],
      ['nginx `proxy_pass`, 1 worker, keepalive pool', `http://127.0.0.1:${nginxPort}/mcp/${shape}`],
      [
        'minimal Node proxy (node:http + undici Pool)',
        `http://127.0.0.1:${minimalPort}/mcp/${shape}`,
        minimalProxy.pid,
      ],
      ['Tollgate, route without plugins', `${dp.proxyUrl}/bare/${shape}`, dpPid, cpPid],
      ['Tollgate, the seed GitHub chain', `${dp.proxyUrl}/github-mcp/${shape}`, dpPid, cpPid],
      ...(baseline
        ? ([
            [
              `baseline build, route without plugins`,
              `${baseline.proxyUrl}/bare/${shape}`,
              baseline.proc.child.pid,
              cpPid,
            ],
            [
              `baseline build, the seed GitHub chain`,
              `${baseline.proxyUrl}/github-mcp/${shape}`,
              baseline.proc.child.pid,
              cpPid,
            ],
          ] as Target[])
        : []),
      [
        'Tollgate, the seed GitHub chain, `TOLLGATE_ANALYTICS=off`',
        `${quiet.proxyUrl}/github-mcp/${shape}`,
        quiet.proc.child.pid,
        cpPid,
      ],
      ['`tollgate start`, route without plugins', `${startUrl}/bare/${shape}`, start.child.pid],
      ['`tollgate start`, the seed GitHub chain', `${startUrl}/github-mcp/${shape}`, start.child.pid],
    ];
    // Every path for the first shape; the others compare the proxies that matter.
    const picked =
      shape === 'json-1k'
        ? all
        : all.filter(([label], i) => [0, 2, 3, 4].includes(i) || label.startsWith('baseline'));
    // BENCH_PROXY_ONLY=<text>: only the rows whose label has it (and the minimal proxy, the
    // ratios' reference), e.g. to profile one path.
    const only = process.env.BENCH_PROXY_ONLY;
    return only ? picked.filter(([label]) => label.includes(only) || label.startsWith('minimal')) : picked;
  };
  const sections: string[] = [];
  try {
    for (const shape of SHAPES) sections.push(await measureRows(shape, targets(shape), script));
    // The fan-out rows: a listener over 3 and 10 sources beside direct and passthrough calls.
    if (!process.env.BENCH_PROXY_ONLY || process.env.BENCH_PROXY_ONLY.includes('fan')) {
      const toy = await startToySources();
      closers.push(toy.close);
      await waitConverged([dp], await configureFanOut(cp.adminUrl, toy.url));
      const list = writeModernScript(dir, 'list', 'tools/list', {});
      const call = writeModernScript(dir, 'call', 'tools/call', { name: 's0_t0', arguments: { q: 'x' } });
      const rows: Target[] = [
        ['tools/list direct to the MCP server', `${toy.url}/s0`, undefined, undefined, list],
        ['tools/list through one passthrough route', `${dp.proxyUrl}/src0`, dpPid, cpPid, list],
        ['tools/list, listener over 3 sources (cached lists)', `${dp.proxyUrl}/fan3`, dpPid, cpPid, list],
        ['tools/list, listener over 10 sources (cached lists)', `${dp.proxyUrl}/fan10`, dpPid, cpPid, list],
        [
          'tools/list, listener over 3 sources asked every time',
          `${dp.proxyUrl}/fan3-fresh`,
          dpPid,
          cpPid,
          list,
        ],
        ['tools/call direct to the MCP server', `${toy.url}/s0`, undefined, undefined, call],
        ['tools/call through one passthrough route', `${dp.proxyUrl}/src0`, dpPid, cpPid, call],
        ['tools/call through the listener over 10 sources', `${dp.proxyUrl}/fan10`, dpPid, cpPid, call],
      ];
      sections.push(await measureRows('fan-out', rows, script, 'tools/list through one passthrough route'));
    }
  } finally {
    for (const p of spawned) await p.stop(profile ? 'SIGTERM' : 'SIGKILL').catch(() => undefined);
    for (const p of procs) p.kill('SIGQUIT');
    for (const close of closers) close();
  }
  return `${sections.join('\n\n')}\n\nwrk -t1, ${DURATION} per cell after a 2 s warm-up; the load generator, upstream, control plane and data planes all share the same 2 cores. Ratios are against the minimal Node proxy measured in the same run.`;
}
