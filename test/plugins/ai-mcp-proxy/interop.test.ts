import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { mustCreate, startStack, type Stack } from '../../helpers/stack';
import { startServerEverything } from '../../helpers/server-everything';

let s: Stack;
let everything: ChildProcess;

before(async () => {
  const started = await startServerEverything();
  everything = started.child;
  const port = started.port;
  s = await startStack();
  await mustCreate(s.api, '/services', { name: 'everything', url: `http://127.0.0.1:${port}/mcp` });
  await mustCreate(s.api, '/services/everything/routes', {
    name: 'everything',
    paths: ['/everything'],
    request_buffering: false,
    response_buffering: false,
  });
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

test('server-everything behind passthrough-listener works unchanged for the official SDK client', async () => {
  const transport = new StreamableHTTPClientTransport(new URL(`${s.dp.proxyUrl}/everything`));
  const client = new Client({ name: 'interop', version: '1.0.0' });
  await client.connect(transport);
  assert.match(transport.sessionId ?? '', /^[0-9a-f-]{36}$/, 'session id travels through the gateway');

  const tools = (await client.listTools()).tools.map((t) => t.name);
  assert.ok(tools.includes('echo') && tools.includes('trigger-long-running-operation'), tools.join(','));
  const echo = await client.callTool({ name: 'echo', arguments: { message: 'through tollgate' } });
  assert.deepEqual(echo.content, [{ type: 'text', text: 'Echo: through tollgate' }]);

  // progress notifications arrive on the POST's SSE stream before the result
  const progress: number[] = [];
  const long = await client.callTool(
    { name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
    undefined,
    { onprogress: (p) => progress.push(p.progress) },
  );
  assert.deepEqual(progress, [1, 2, 3]);
  assert.match(JSON.stringify(long.content), /Long running operation completed/);

  // DELETE ends the session upstream; the same session id is then unknown there
  const sessionId = transport.sessionId!;
  await transport.terminateSession();
  const after = await fetch(`${s.dp.proxyUrl}/everything`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': sessionId,
    },
    body: '{"jsonrpc":"2.0","id":9,"method":"tools/list"}',
  });
  assert.equal(after.status, 400);
  await client.close();
});
