/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance, all server scenarios),
 * run against two servers directly and through a passthrough-listener route in one run —
 * server-everything, and our reference server for the suite's scenarios
 * (test/fixtures/conformance-server.mjs): every scenario that passes directly must pass through
 * the gateway, and the gateway adds the DNS-rebinding protection neither server has. A
 * conversion-listener route, where the gateway itself is the server, passes the scenarios that
 * need no scenario-specific tools.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mustCreate, startStack, type Stack } from '../helpers/stack';
import { freePort } from '../helpers/process';
import { startPetstoreApi, type PetstoreApi } from '../fixtures/petstore-api';
import { PET_TOOLS } from '../fixtures/petstore-tools';

const ROOT = join(__dirname, '..', '..', '..');
let s: Stack;
const servers: { name: string; port: number; child: ChildProcess }[] = [];
let petstore: PetstoreApi | undefined;

/** A server process on a free loopback port, once it prints `ready`. */
async function startServer(name: string, args: string[], ready: RegExp) {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, PORT: String(port), NODE_PATH: join(ROOT, 'node_modules') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      if (ready.test(out)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${name} exited ${code}: ${out}`)));
  });
  servers.push({ name, port, child });
  await mustCreate(s.api, '/services', { name, url: `http://127.0.0.1:${port}/mcp` });
  await mustCreate(s.api, `/services/${name}/routes`, { name, paths: [`/${name}`] });
  await mustCreate(s.api, `/routes/${name}/plugins`, {
    name: 'ai-mcp-proxy',
    config: { mode: 'passthrough-listener' },
  });
}

before(async () => {
  // The default listener settings: loopback, no allowed host names.
  s = await startStack({ allowedHosts: [] });
  // server-everything listens on every interface; the preload keeps it on loopback.
  await startServer(
    'everything',
    [
      '-r',
      join(ROOT, 'test', 'fixtures', 'loopback.cjs'),
      join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js'),
      'streamableHttp',
    ],
    /listening on port/i,
  );
  // Our reference server for the suite's scenarios (sampling, elicitation, progress, logging, …).
  await startServer('reference', [join(ROOT, 'test', 'fixtures', 'conformance-server.mjs')], /listening/);
  // The gateway as the MCP server: REST operations served by a conversion-listener route.
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
  for (const sv of servers) sv.child.kill();
  await s?.close();
  await petstore?.close();
});

/** Scenario → its check statuses, from the suite's own result files. */
async function conformance(url: string): Promise<Map<string, string[]>> {
  const out = mkdtempSync(join(tmpdir(), 'conformance-'));
  const code = await new Promise<number | null>((resolve) => {
    const c = spawn(
      process.execPath,
      [
        join(ROOT, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js'),
        'server',
        '--url',
        url,
        '--suite',
        'all',
        '-o',
        out,
      ],
      { stdio: 'ignore' },
    );
    c.on('exit', resolve);
  });
  assert.notEqual(code, null, 'the conformance run was killed');
  const results = new Map<string, string[]>();
  for (const dir of readdirSync(out)) {
    const scenario = /^server-(.+)-\d{4}-\d{2}-\d{2}T/.exec(dir)?.[1];
    if (!scenario) continue;
    const checks = JSON.parse(readFileSync(join(out, dir, 'checks.json'), 'utf8')) as { status: string }[];
    results.set(
      scenario,
      checks.map((c) => c.status),
    );
  }
  return results;
}

const passed = (statuses: string[] | undefined) =>
  !!statuses && statuses.length > 0 && !statuses.includes('FAILURE');

for (const name of ['everything', 'reference']) {
  test(`${name}: every scenario that passes directly passes through the gateway, plus DNS rebinding`, async () => {
    const port = servers.find((sv) => sv.name === name)!.port;
    const direct = await conformance(`http://localhost:${port}/mcp`);
    const gateway = await conformance(`http://localhost:${new URL(s.dp.proxyUrl).port}/${name}`);
    assert.ok(direct.size >= 20, `only ${direct.size} scenarios ran`);
    const passingDirect = [...direct].filter(([, st]) => passed(st)).map(([n]) => n);
    assert.ok(passingDirect.includes('tools-list') && passingDirect.includes('server-initialize'));
    if (name === 'reference')
      assert.ok(passingDirect.length >= 30, `reference passes ${passingDirect.join(', ')}`);
    const lost = passingDirect.filter((n) => !passed(gateway.get(n)));
    assert.deepEqual(lost, [], 'scenarios that pass directly but not through the gateway');
    assert.ok(
      !passed(direct.get('dns-rebinding-protection')),
      'the server alone has no DNS-rebinding protection',
    );
    assert.ok(passed(gateway.get('dns-rebinding-protection')), 'DNS rebinding through the gateway');
  });
}

test('conversion-listener (the gateway is the server): the scenarios that need no scenario tools pass', async () => {
  const results = await conformance(`http://localhost:${new URL(s.dp.proxyUrl).port}/converted`);
  for (const scenario of ['server-initialize', 'ping', 'tools-list', 'dns-rebinding-protection'])
    assert.ok(passed(results.get(scenario)), `${scenario}: ${results.get(scenario)}`);
});
