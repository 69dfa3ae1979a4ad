/**
 * A Kong 3.x `deck gateway dump` as Kong writes it (every field with its value, nulls left out,
 * certificates by id, targets and SNIs nested) applied to Tollgate unchanged: `tollgate sync`
 * creates it, `diff` is clean, and traffic flows as it would through Kong — key-auth and ACLs,
 * a service balanced over its upstream's targets, the certificate served for its SNI.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { X509Certificate, createHash, randomUUID } from 'node:crypto';
import YAML from 'yaml';
import { sendThrough, startStack, type Stack } from '../helpers/stack';
import { startEchoUpstream } from '../helpers/topology';
import { issue, makeCa } from '../helpers/pki';
import { syncCleanly } from '../helpers/deck';

let s: Stack;
const echoes: Awaited<ReturnType<typeof startEchoUpstream>>[] = [];

before(async () => {
  s = await startStack({ ssl: true });
  for (let i = 0; i < 2; i++) echoes.push(await startEchoUpstream());
});
after(async () => {
  for (const e of echoes) await e.close();
  await s?.close();
});

const statuses = (...codes: number[]) => codes;

function kongDump(): Record<string, unknown> {
  const ca = makeCa('Dump CA');
  const leaf = issue(ca, 'mcp.example.test');
  const healthy = { http_statuses: statuses(200, 302), interval: 0, successes: 0 };
  const unhealthy = {
    http_failures: 0,
    http_statuses: statuses(429, 404, 500, 501, 502, 503, 504, 505),
    interval: 0,
    tcp_failures: 0,
    timeouts: 0,
  };
  return {
    _format_version: '3.0',
    // Kong dumps a CA certificate with the digest it computed.
    ca_certificates: [
      {
        cert: ca.cert,
        cert_digest: createHash('sha256').update(new X509Certificate(ca.cert).raw).digest('hex'),
        id: randomUUID(),
      },
    ],
    certificates: [
      { cert: leaf.cert, id: randomUUID(), key: leaf.key, snis: [{ name: 'mcp.example.test' }] },
    ],
    consumers: [
      {
        acls: [{ group: 'developers' }],
        keyauth_credentials: [{ key: 'dev-key' }],
        username: 'dev',
      },
      { keyauth_credentials: [{ key: 'guest-key' }], username: 'guest' },
    ],
    services: [
      {
        connect_timeout: 60000,
        enabled: true,
        host: 'tools.upstream',
        name: 'tools',
        path: '/mcp',
        port: 80,
        protocol: 'http',
        read_timeout: 60000,
        retries: 5,
        write_timeout: 60000,
        plugins: [
          {
            config: {
              anonymous: null,
              hide_credentials: false,
              key_in_body: false,
              key_in_header: true,
              key_in_query: true,
              key_names: ['apikey'],
              run_on_preflight: true,
            },
            enabled: true,
            name: 'key-auth',
            protocols: ['grpc', 'grpcs', 'http', 'https'],
          },
          {
            config: { allow: ['developers'], hide_groups_header: false },
            enabled: true,
            name: 'acl',
            protocols: ['grpc', 'grpcs', 'http', 'https'],
          },
        ],
        routes: [
          {
            https_redirect_status_code: 426,
            name: 'tools',
            path_handling: 'v0',
            paths: ['/tools'],
            preserve_host: false,
            protocols: ['http', 'https'],
            regex_priority: 0,
            request_buffering: true,
            response_buffering: true,
            strip_path: true,
          },
        ],
      },
    ],
    upstreams: [
      {
        algorithm: 'round-robin',
        hash_fallback: 'none',
        hash_on: 'none',
        hash_on_cookie_path: '/',
        healthchecks: {
          active: {
            concurrency: 10,
            healthy,
            http_path: '/',
            https_verify_certificate: true,
            timeout: 1,
            type: 'http',
            unhealthy,
          },
          passive: {
            healthy: {
              http_statuses: statuses(
                200,
                201,
                202,
                203,
                204,
                205,
                206,
                207,
                208,
                226,
                300,
                301,
                302,
                303,
                304,
                305,
                306,
                307,
                308,
              ),
              successes: 0,
            },
            type: 'http',
            unhealthy: {
              http_failures: 0,
              http_statuses: statuses(429, 500, 503),
              tcp_failures: 0,
              timeouts: 0,
            },
          },
          threshold: 0,
        },
        name: 'tools.upstream',
        slots: 10000,
        targets: echoes.map((e) => ({ target: `127.0.0.1:${e.port}`, weight: 100 })),
        use_srv_name: false,
      },
    ],
    vaults: [{ config: { prefix: 'TOOLS_' }, name: 'env', prefix: 'tools-env' }],
  };
}

test('a Kong decK dump syncs unchanged, diffs clean, and serves as Kong would', async () => {
  const dump = kongDump();
  const { stdout } = await syncCleanly(s, YAML.stringify(dump).split('\n'));
  assert.match(stdout, /creating upstream tools\.upstream/);
  assert.match(stdout, /creating ca_certificate /);
  await s.synced();

  const ports = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const r = await sendThrough(s.dp.proxyUrl, '/tools', { headers: { apikey: 'dev-key' } });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.url, '/mcp');
    ports.add(r.json.headers.host);
  }
  assert.equal(ports.size, 2, 'round-robin over both targets');
  assert.equal(
    (await sendThrough(s.dp.proxyUrl, '/tools', { headers: { apikey: 'guest-key' } })).status,
    403,
  );
  assert.equal((await sendThrough(s.dp.proxyUrl, '/tools')).status, 401);

  const url = new URL(s.dp.proxySslUrl!);
  const served = await new Promise<string>((resolve, reject) => {
    const socket = connect(
      {
        host: url.hostname,
        port: Number(url.port),
        servername: 'mcp.example.test',
        rejectUnauthorized: false,
      },
      () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.end();
      },
    );
    socket.on('error', reject);
  });
  const certs = dump.certificates as { cert: string }[];
  assert.equal(served, new X509Certificate(certs[0].cert).fingerprint256);
});
