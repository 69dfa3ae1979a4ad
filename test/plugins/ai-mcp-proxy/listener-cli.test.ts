/**
 * `tollgate listener` as a user runs it: generate the decK file of a virtual MCP server from
 * upstream URLs, `tollgate sync` it unchanged, then connect one MCP client to the listener and
 * see every upstream's tools.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startStack, type Stack } from '../../helpers/stack';
import { runTollgate } from '../../helpers/process';
import { startGithubMcpFixture, type GithubFixture } from '../../fixtures/github-mcp-server';
import { startMutableMcpFixture, type MutableMcpFixture } from '../../fixtures/mutable-mcp-server';
import { sourcesOf } from '../../../plugins/ai-mcp-proxy/cli';

let s: Stack;
let github: GithubFixture;
let mutable: MutableMcpFixture;

before(async () => {
  github = await startGithubMcpFixture();
  mutable = await startMutableMcpFixture([
    { name: 'search_code', description: 'mutable search', inputSchema: { type: 'object' } },
  ]);
  s = await startStack();
});

after(async () => {
  await s?.close();
  await github?.close();
  await mutable?.close();
});

test('a generated listener file syncs unchanged and serves every upstream on one route', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'listener-cli-')), 'agents.yaml');
  const gen = await runTollgate([
    'listener',
    'agents',
    `github=${github.url}/mcp`,
    `mutable=${mutable.url}/mcp`,
    '--ttl',
    '5',
    '--output',
    file,
  ]);
  assert.equal(gen.code, 0, gen.stderr);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.match(readFileSync(file, 'utf8'), /mode: passthrough-listener/);
  const sync = await runTollgate(['sync', file], { env: { TOLLGATE_ADMIN_URL: s.cp.url } });
  assert.equal(sync.code, 0, sync.stderr);
  await s.synced();
  const client = new Client({ name: 'listener-cli', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${s.dp.proxyUrl}/agents`)));
  const names = (await client.listTools()).tools.map((t) => t.name);
  assert.ok(names.includes('github/search_code') && names.includes('mutable/search_code'), names.join(','));
  assert.ok(names.includes('push_files') && names.includes('github_tool_63'));
  const r = await client.callTool({ name: 'mutable/search_code', arguments: {} });
  assert.match(JSON.stringify(r.content), /search_code ran/);
  await client.close();
});

test('names come from the URL’s host when not given; bad input is a usage error', async () => {
  assert.deepEqual(
    sourcesOf(['https://api.githubcopilot.com/mcp', 'https://api.example.com/x', 'k=http://h/']).map(
      (x) => x.name,
    ),
    ['api', 'api-2', 'k'],
  );
  for (const args of [
    ['agents'],
    ['agents', 'not a url'],
    ['agents', 'ftp://h/'],
    ['bad name!', 'http://h/'],
  ]) {
    const r = await runTollgate(['listener', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, /Usage: tollgate listener/);
  }
});
