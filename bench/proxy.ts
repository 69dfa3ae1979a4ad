/**
 * Proxy overhead, side by side in one run: the upstream directly, nginx as a plain reverse
 * proxy, and a Tollgate data plane (bare route, and with key-auth). Upstream: nginx returning a
 * canned JSON-RPC `tools/call` result, so the upstream is never the bottleneck. Load: wrk, a
 * 120-byte JSON-RPC POST. Needs `nginx` and `wrk` (Debian: apt-get install -y nginx-light wrk).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminClient } from '../test/helpers/http';
import { freePort } from '../test/helpers/process';
import { startCpProcess, startDpProcess, waitConverged } from '../test/helpers/topology';

const DURATION = process.env.BENCH_DURATION ?? '10s';
const BODY =
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_repositories","arguments":{"query":"kong"}}}';

function need(cmd: string) {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    throw new Error(`${cmd} is not installed (Debian: apt-get install -y nginx-light wrk)`);
  }
}

function startNginx(dir: string, name: string, server: string): ChildProcess {
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

interface WrkResult {
  rps: number;
  p50: string;
  p99: string;
}

function wrk(url: string, connections: number, script: string): WrkResult {
  const out = execFileSync(
    'wrk',
    ['-t1', `-c${connections}`, `-d${DURATION}`, '--latency', '-s', script, url],
    { encoding: 'utf8' },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const p50 = /\s50%\s+(\S+)/.exec(out)?.[1] ?? '?';
  const p99 = /\s99%\s+(\S+)/.exec(out)?.[1] ?? '?';
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx) throw new Error(`${url}: ${non2xx[1]} non-2xx responses`);
  return { rps, p50, p99 };
}

export async function benchProxy(): Promise<string> {
  need('nginx');
  need('wrk');
  const dir = mkdtempSync(join(tmpdir(), 'bench-proxy-'));
  const script = join(dir, 'post.lua');
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.body = '${BODY}'\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["apikey"] = "bench-key"\n`,
  );
  const upPort = await freePort();
  const nginxPort = await freePort();
  const procs: ChildProcess[] = [];
  procs.push(
    startNginx(
      dir,
      'upstream',
      `server { listen 127.0.0.1:${upPort}; location / { default_type application/json; return 200 '{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"ok"}]}}'; } }`,
    ),
  );
  procs.push(
    startNginx(
      dir,
      'proxy',
      `upstream up { server 127.0.0.1:${upPort}; keepalive 64; }
  server { listen 127.0.0.1:${nginxPort}; location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; } }`,
    ),
  );
  const cp = await startCpProcess({ dataDir: join(dir, 'cp') });
  const api = adminClient(cp.adminUrl);
  await api('POST', '/services', { name: 'mcp', url: `http://127.0.0.1:${upPort}/mcp` });
  await api('POST', '/services/mcp/routes', { name: 'bare', paths: ['/bare'] });
  await api('POST', '/services/mcp/routes', { name: 'keyed', paths: ['/keyed'] });
  await api('POST', '/routes/keyed/plugins', { name: 'key-auth' });
  await api('POST', '/consumers', { username: 'bench' });
  await api('POST', '/consumers/bench/key-auth', { key: 'bench-key' });
  const dp = await startDpProcess({ cpUrl: cp.clusterUrl });
  const quiet = await startDpProcess({ cpUrl: cp.clusterUrl, env: { TOLLGATE_ANALYTICS: 'off' } });
  await waitConverged([dp, quiet], (await api('GET', '/config')).body.hash);
  await new Promise((r) => setTimeout(r, 500));

  const targets: [string, string][] = [
    ['direct to upstream (nginx `return 200`)', `http://127.0.0.1:${upPort}/mcp`],
    ['nginx 1.22 `proxy_pass`, 1 worker, keepalive pool', `http://127.0.0.1:${nginxPort}/mcp`],
    ['Tollgate data plane, route without plugins', `${dp.proxyUrl}/bare`],
    ['Tollgate data plane, route with key-auth', `${dp.proxyUrl}/keyed`],
    ['Tollgate data plane, route without plugins, `TOLLGATE_ANALYTICS=off`', `${quiet.proxyUrl}/bare`],
    ['Tollgate data plane, route with key-auth, `TOLLGATE_ANALYTICS=off`', `${quiet.proxyUrl}/keyed`],
  ];
  const rows = ['| path | 32 connections, req/s | 1 connection, p50 / p99 |', '|---|---|---|'];
  try {
    for (const [label, url] of targets) {
      wrk(url, 8, script); // warm-up (JIT, pools)
      const many = wrk(url, 32, script);
      const one = wrk(url, 1, script);
      rows.push(`| ${label} | ${Math.round(many.rps).toLocaleString('en-US')} | ${one.p50} / ${one.p99} |`);
      process.stderr.write(`${rows[rows.length - 1]}\n`);
    }
  } finally {
    await dp.proc.stop('SIGKILL');
    await quiet.proc.stop('SIGKILL');
    await cp.proc.stop('SIGKILL');
    for (const p of procs) p.kill('SIGQUIT');
  }
  return `${rows.join('\n')}\n\nwrk -t1, ${DURATION} per cell after a warm-up; everything on the same 2 cores.`;
}
