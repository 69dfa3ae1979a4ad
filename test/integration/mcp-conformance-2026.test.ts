/**
 * The official MCP conformance runner 0.2.x (tools/conformance: the runner and the Node 22 it
 * needs, from the npm registry) with the frozen requirement sets of both eras, `2026-07-28` and
 * `2025-11-25`, against the suite's own dual-era reference server
 * (test/fixtures/conformance-dual-era-server.cjs) directly and through passthrough-listener
 * routes, with and without tool ACLs: every scenario that passes directly passes through. And against a
 * conversion-listener route, where the gateway is the server: every 2026-07-28 statelessness
 * check that needs no scenario-specific tool passes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mustCreate, startStack, type Stack } from '../helpers/stack';
import { freePort } from '../helpers/process';
import { startPetstoreApi, type PetstoreApi } from '../fixtures/petstore-api';
import { PET_TOOLS } from '../fixtures/petstore-tools';

const ROOT = join(__dirname, '..', '..', '..');
const RUNNER = join(ROOT, 'tools', 'conformance', 'node_modules');
const NODE22 = join(RUNNER, 'node', 'bin', 'node');
const CLI = join(RUNNER, '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const skip =
  existsSync(NODE22) && existsSync(CLI)
    ? false
    : 'the runner is not installed (npm ci --prefix tools/conformance)';

let s: Stack;
let server: ChildProcess | undefined;
let serverPort = 0;
let petstore: PetstoreApi | undefined;

before(async () => {
  if (skip) return;
  serverPort = await freePort();
  server = spawn(
    process.execPath,
    [
      '-r',
      join(ROOT, 'test', 'fixtures', 'loopback.cjs'),
      join(ROOT, 'test', 'fixtures', 'conformance-dual-era-server.cjs'),
    ],
    { env: { PATH: process.env.PATH, PORT: String(serverPort) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    server!.stdout!.on('data', (d: Buffer) => {
      out += d;
      if (/MCP endpoint/.test(out)) resolve();
    });
    server!.on('exit', (code) => reject(new Error(`the reference server exited ${code}: ${out}`)));
  });
  s = await startStack({ allowedHosts: [] });
  await mustCreate(s.api, '/services', { name: 'reference', url: `http://127.0.0.1:${serverPort}/mcp` });
  await mustCreate(s.api, '/services/reference/routes', { name: 'reference', paths: ['/reference'] });
  await mustCreate(s.api, '/routes/reference/plugins', {
    name: 'ai-mcp-proxy',
    config: { mode: 'passthrough-listener' },
  });
  // The same server behind the guard chain with tool ACLs in force (a default rule that denies a
  // consumer these anonymous calls are not): every list filtered, every call judged.
  await mustCreate(s.api, '/services/reference/routes', { name: 'reference-acl', paths: ['/reference-acl'] });
  await mustCreate(s.api, '/routes/reference-acl/plugins', {
    name: 'ai-mcp-proxy',
    config: { mode: 'passthrough-listener', default_acl: [{ scope: 'tools', deny: ['blocked-consumer'] }] },
  });
  petstore = await startPetstoreApi();
  await mustCreate(s.api, '/services', { name: 'petstore', url: petstore.url });
  await mustCreate(s.api, '/services/petstore/routes', { name: 'converted', paths: ['/converted'] });
  await mustCreate(s.api, '/routes/converted/plugins', {
    name: 'ai-mcp-proxy',
    config: { mode: 'conversion-listener', tools: PET_TOOLS },
  });
  await s.synced();
});

after(async () => {
  server?.kill();
  await s?.close();
  await petstore?.close();
});

/** Scenario → its checks (id → status), from the runner's own result files. */
async function conformance(url: string, requirements: string): Promise<Map<string, Map<string, string>>> {
  const out = mkdtempSync(join(tmpdir(), 'conformance-'));
  const code = await new Promise<number | null>((resolve) => {
    const c = spawn(NODE22, [CLI, 'server', '--url', url, '--requirements', requirements, '-o', out], {
      stdio: 'ignore',
    });
    c.on('exit', resolve);
  });
  assert.notEqual(code, null, 'the conformance run was killed');
  const results = new Map<string, Map<string, string>>();
  for (const dir of readdirSync(out)) {
    const scenario = /^server-(.+)-\d{4}-\d{2}-\d{2}T/.exec(dir)?.[1];
    if (!scenario) continue;
    const checks = JSON.parse(readFileSync(join(out, dir, 'checks.json'), 'utf8')) as {
      id: string;
      status: string;
    }[];
    results.set(scenario, new Map(checks.map((c) => [c.id, c.status])));
  }
  return results;
}

const passed = (checks: Map<string, string> | undefined) =>
  !!checks && checks.size > 0 && ![...checks.values()].includes('FAILURE');

for (const requirements of ['2026-07-28', '2025-11-25']) {
  test(
    `${requirements}: every scenario the reference server passes directly passes through the gateway`,
    { skip },
    async () => {
      const direct = await conformance(`http://localhost:${serverPort}/mcp`, requirements);
      const gateway = await conformance(
        `http://localhost:${new URL(s.dp.proxyUrl).port}/reference`,
        requirements,
      );
      const passingDirect = [...direct].filter(([, c]) => passed(c)).map(([n]) => n);
      assert.ok(passingDirect.length >= 20, `only ${passingDirect.join(', ')} pass directly`);
      if (requirements === '2026-07-28')
        for (const n of ['server-stateless', 'caching', 'input-required-result-tampered-state'])
          assert.ok(passingDirect.includes(n), `${n} passes directly`);
      const lost = passingDirect.filter((n) => !passed(gateway.get(n)));
      assert.deepEqual(lost, [], 'scenarios that pass directly but not through the gateway');
    },
  );
}

test(
  '2026-07-28: the gateway as the server passes every statelessness check that needs no scenario tool',
  { skip },
  async () => {
    const results = await conformance(
      `http://localhost:${new URL(s.dp.proxyUrl).port}/converted`,
      '2026-07-28',
    );
    const stateless = results.get('server-stateless')!;
    assert.ok(stateless, 'server-stateless ran');
    for (const id of [
      'sep-2575-request-meta-invalid-missing-meta',
      'sep-2575-request-meta-invalid-missing-protocol-version',
      'sep-2575-request-meta-invalid-missing-client-capabilities',
      'sep-2575-http-server-meta-invalid-400',
      'sep-2575-server-implements-discover',
      'sep-2575-server-identifies-in-result-meta',
      'sep-2575-server-unsupported-version-error',
      'sep-2575-http-server-unsupported-version-400',
      'sep-2575-http-server-header-mismatch-400',
      'sep-2575-http-server-method-not-found-404-initialize',
      'sep-2575-http-server-method-not-found-404-ping',
      'sep-2575-server-sends-subscription-ack',
      'sep-2575-server-tags-subscription-id',
      'sep-2575-http-server-error-jsonrpc-id',
    ])
      assert.equal(stateless.get(id), 'SUCCESS', id);
    const caching = results.get('caching')!;
    assert.equal(caching.get('sep-2549-tools-list-caching-hints'), 'SUCCESS');
    assert.equal(caching.get('sep-2549-cache-scope-valid'), 'SUCCESS');
    assert.ok(passed(results.get('tools-list')), 'tools-list');
  },
);
