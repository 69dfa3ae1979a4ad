/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance, server scenarios), run
 * against server-everything directly and through a passthrough-listener route in one run: every
 * scenario that passes directly must pass through the gateway, and the gateway adds the
 * DNS-rebinding protection server-everything lacks.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mustCreate, startStack, type Stack } from '../helpers/stack';
import { freePort } from '../helpers/process';

const ROOT = join(__dirname, '..', '..', '..');
let s: Stack;
let everything: ChildProcess;
let port: number;

before(async () => {
  port = await freePort();
  // server-everything listens on every interface; the preload keeps it on loopback.
  everything = spawn(
    process.execPath,
    [
      '-r',
      join(ROOT, 'test', 'fixtures', 'loopback.cjs'),
      join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js'),
      'streamableHttp',
    ],
    { env: { PATH: process.env.PATH, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      if (/listening on port/i.test(out)) resolve();
    };
    everything.stdout!.on('data', onData);
    everything.stderr!.on('data', onData);
    everything.on('exit', (code) => reject(new Error(`server-everything exited ${code}: ${out}`)));
  });
  // The default listener settings: loopback, no allowed host names.
  s = await startStack({ allowedHosts: [] });
  await mustCreate(s.api, '/services', { name: 'everything', url: `http://127.0.0.1:${port}/mcp` });
  await mustCreate(s.api, '/services/everything/routes', { name: 'everything', paths: ['/everything'] });
  await mustCreate(s.api, '/routes/everything/plugins', {
    name: 'ai-mcp-proxy',
    config: { mode: 'passthrough-listener' },
  });
  await s.synced();
});

after(async () => {
  everything?.kill();
  await s?.close();
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

test('every scenario server-everything passes directly passes through the gateway, plus DNS rebinding', async () => {
  const direct = await conformance(`http://localhost:${port}/mcp`);
  const gateway = await conformance(`http://localhost:${new URL(s.dp.proxyUrl).port}/everything`);
  assert.ok(direct.size >= 20, `only ${direct.size} scenarios ran`);
  const passingDirect = [...direct].filter(([, st]) => passed(st)).map(([name]) => name);
  assert.ok(passingDirect.includes('tools-list') && passingDirect.includes('server-initialize'));
  const lost = passingDirect.filter((name) => !passed(gateway.get(name)));
  assert.deepEqual(lost, [], 'scenarios that pass directly but not through the gateway');
  assert.ok(passed(gateway.get('dns-rebinding-protection')), 'DNS rebinding through the gateway');
});
