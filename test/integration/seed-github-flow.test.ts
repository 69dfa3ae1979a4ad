/**
 * The seed document's GitHub pattern end to end: its decK file (GitHub hosts pointed at the
 * fixture, everything else as written) applied with `tollgate sync`, then driven with the
 * official MCP SDK client over the HTTP and the HTTPS (self-signed) listeners.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { connectMcp, listAllTools, postJsonRpc } from '../helpers/mcp';
import { startStack, type Stack } from '../helpers/stack';
import { runTollgate } from '../helpers/process';
import { SEED_ENV, seedPointedAt } from '../helpers/seed';
import {
  ALL_TOOLS,
  READ_TOOLS,
  startGithubMcpFixture,
  type GithubFixture,
} from '../fixtures/github-mcp-server';

const USER_TOKEN = 'ghu_user_token';
let s: Stack;
let fixture: GithubFixture;
const insecure = new Agent({ connect: { rejectUnauthorized: false } });
// The DP's HTTPS listener has a self-signed certificate: trust it for this test only.
const fetchAny = ((url: any, init: any) =>
  undiciFetch(url, { ...init, dispatcher: insecure })) as typeof fetch;

before(async () => {
  fixture = await startGithubMcpFixture({ token: USER_TOKEN });
  s = await startStack({ ssl: true });
  const file = join(mkdtempSync(join(tmpdir(), 'seed-flow-')), 'kong.yaml');
  writeFileSync(file, seedPointedAt(fixture.url));
  const sync = await runTollgate(['sync', file], { env: { TOLLGATE_ADMIN_URL: s.cp.url, ...SEED_ENV } });
  assert.equal(sync.code, 0, sync.stderr);
  await s.synced();
});
after(async () => {
  await s?.close();
  await fixture?.close();
});

const connect = (base: string, apikey: string) =>
  connectMcp(`${base}/github-mcp`, { apikey, authorization: `Bearer ${USER_TOKEN}` }, fetchAny);
const listAll = listAllTools;

for (const listener of ['http', 'https'] as const) {
  describe(`the GitHub MCP pattern over ${listener}`, () => {
    const base = () => (listener === 'http' ? s.dp.proxyUrl : s.dp.proxySslUrl!);

    test('no Authorization: 401 with the PRM pointer from datakit, nothing forwarded', async () => {
      const before = fixture.calls.length;
      const r = await fetchAny(`${base()}/github-mcp`, {
        method: 'POST',
        headers: {
          apikey: 'dev-api-key',
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
      });
      assert.equal(r.status, 401);
      assert.match(
        r.headers.get('www-authenticate')!,
        /^Bearer resource_metadata="https:\/\/localhost:8443\/\.well-known\/oauth-protected-resource\/github-mcp"/,
      );
      assert.deepEqual(await r.json(), { message: 'Unauthorized' });
      assert.equal(fixture.calls.length, before);
    });

    test('the PRM through the gateway: resource rewritten, authorization servers intact', async () => {
      const r = await fetchAny(`${base()}/.well-known/oauth-protected-resource/github-mcp`);
      assert.equal(r.status, 200);
      const prm: any = await r.json();
      assert.equal(prm.resource, 'https://localhost:8443/github-mcp');
      assert.deepEqual(prm.authorization_servers, ['https://github.com/login/oauth']);
      assert.deepEqual(prm.scopes_supported, ['repo', 'gist', 'notifications']);
    });

    test('dev-api-key lists exactly the six read tools, admin-api-key all of them', async () => {
      const dev = await connect(base(), 'dev-api-key');
      assert.deepEqual((await listAll(dev)).sort(), [...READ_TOOLS].sort());
      const result: any = await dev.callTool({ name: 'search_repositories', arguments: { query: 'kong' } });
      assert.ok(!result.isError);
      await dev.close();
      const admin = await connect(base(), 'admin-api-key');
      assert.deepEqual((await listAll(admin)).sort(), [...ALL_TOOLS].sort());
      await admin.close();
      // the upstream saw the user's token, never the gateway API key
      const last = fixture.calls[fixture.calls.length - 1];
      assert.equal(last.headers.authorization, `Bearer ${USER_TOKEN}`);
      assert.equal(last.headers.apikey, undefined);
    });

    test('a raw tools/call push_files as developer: -32602 from the gateway, never upstream', async () => {
      const r = await postJsonRpc(
        `${base()}/github-mcp`,
        { apikey: 'dev-api-key', authorization: `Bearer ${USER_TOKEN}` },
        { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'push_files', arguments: {} } },
        fetchAny,
      );
      assert.deepEqual(await r.json(), {
        jsonrpc: '2.0',
        id: 7,
        error: { code: -32602, message: "Tool 'push_files' is not available for consumer group 'developer'" },
      });
      assert.ok(!fixture.calls.some((c) => c.tool === 'push_files'));
    });
  });
}
