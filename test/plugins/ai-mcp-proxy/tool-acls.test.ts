import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectMcp, listAllTools } from '../../helpers/mcp';
import { mustCreate, startStack, type Stack } from '../../helpers/stack';
import { loadSeed } from '../../helpers/seed';
import {
  ALL_TOOLS,
  READ_TOOLS,
  startGithubMcpFixture,
  type GithubFixture,
} from '../../fixtures/github-mcp-server';

let s: Stack;
const fixtures: GithubFixture[] = [];

/** The seed's consumers, groups and GitHub route with key-auth + ai-mcp-proxy (as written). */
async function seedGithubRoute(name: string, upstream: string) {
  const seed = loadSeed();
  const route = seed.services[0].routes[0];
  const plugin = (n: string) => route.plugins.find((p: any) => p.name === n);
  await mustCreate(s.api, '/services', { name, url: `${upstream}/mcp` });
  await mustCreate(s.api, `/services/${name}/routes`, {
    name,
    paths: [`/${name}`],
    request_buffering: false,
    response_buffering: false,
  });
  const { instance_name: _a, ...keyAuth } = plugin('key-auth');
  const { instance_name: _b, ...acl } = plugin('ai-mcp-proxy');
  await mustCreate(s.api, `/routes/${name}/plugins`, keyAuth);
  await mustCreate(s.api, `/routes/${name}/plugins`, acl);
}

before(async () => {
  s = await startStack();
  const seed = loadSeed();
  for (const g of seed.consumer_groups) await mustCreate(s.api, '/consumer_groups', g);
  for (const c of seed.consumers) {
    await mustCreate(s.api, '/consumers', { username: c.username });
    await mustCreate(s.api, `/consumers/${c.username}/key-auth`, c.keyauth_credentials[0]);
    await mustCreate(s.api, `/consumers/${c.username}/consumer_groups`, { group: c.groups[0].name });
  }
  fixtures.push(await startGithubMcpFixture({ token: 'ghu_user_token' }));
  fixtures.push(await startGithubMcpFixture({ token: 'ghu_user_token', sse: true }));
  await seedGithubRoute('github-json', fixtures[0].url);
  await seedGithubRoute('github-sse', fixtures[1].url);
  await s.synced();
});
after(async () => {
  await s?.close();
  for (const f of fixtures) await f.close();
});

const connect = (path: string, apikey: string) =>
  connectMcp(`${s.dp.proxyUrl}${path}`, { apikey, authorization: 'Bearer ghu_user_token' });
const allTools = listAllTools;

for (const mode of ['json', 'sse'] as const) {
  describe(`tool ACLs with the official MCP client (${mode} replies)`, () => {
    const path = `/github-${mode}`;
    const fixture = () => fixtures[mode === 'json' ? 0 : 1];

    test('dev-api-key lists exactly the six read tools; admin-api-key lists all of them', async () => {
      const dev = await connect(path, 'dev-api-key');
      assert.deepEqual((await allTools(dev)).sort(), [...READ_TOOLS].sort());
      await dev.close();
      const admin = await connect(path, 'admin-api-key');
      assert.deepEqual((await allTools(admin)).sort(), [...ALL_TOOLS].sort());
      await admin.close();
    });

    test('an allowed call goes through; a denied one is answered -32602 and never reaches the server', async () => {
      const dev = await connect(path, 'dev-api-key');
      const ok = await dev.callTool({ name: 'search_repositories', arguments: { query: 'kong' } });
      assert.deepEqual(ok.content, [{ type: 'text', text: 'called search_repositories' }]);
      const before = fixture().calls.length;
      await assert.rejects(dev.callTool({ name: 'push_files', arguments: {} }), (err: any) => {
        assert.equal(err.code, -32602);
        assert.match(err.message, /Tool 'push_files' is not available for consumer group 'developer'/);
        return true;
      });
      // a tool the config does not list falls under default_acl (deny developer)
      await assert.rejects(
        dev.callTool({ name: 'github_tool_07', arguments: {} }),
        /not available for consumer group 'developer'/,
      );
      assert.equal(fixture().calls.length, before);
      assert.ok(!fixture().calls.some((c) => c.tool === 'push_files'));
      await dev.close();
    });
  });
}

test('a raw tools/call for a denied tool gets the JSON-RPC error; ambiguous bodies are refused', async () => {
  const post = (apikey: string, body: string) =>
    fetch(`${s.dp.proxyUrl}/github-json`, {
      method: 'POST',
      headers: {
        apikey,
        authorization: 'Bearer ghu_user_token',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body,
    });
  const denied = await post(
    'dev-api-key',
    '{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"push_files","arguments":{}}}',
  );
  assert.equal(denied.status, 200);
  assert.deepEqual(await denied.json(), {
    jsonrpc: '2.0',
    id: 42,
    error: { code: -32602, message: "Tool 'push_files' is not available for consumer group 'developer'" },
  });
  // the gateway and the upstream must not read different tools from one message
  const dup = await post(
    'dev-api-key',
    '{"jsonrpc":"2.0","id":43,"method":"tools/call","params":{"name":"search_code","name":"push_files"}}',
  );
  assert.equal(dup.status, 400);
  assert.equal(((await dup.json()) as any).error.code, -32700);
  const admin = await post(
    'admin-api-key',
    '{"jsonrpc":"2.0","id":44,"method":"tools/call","params":{"name":"push_files","arguments":{}}}',
  );
  assert.equal(((await admin.json()) as any).result.content[0].text, 'called push_files');
});
