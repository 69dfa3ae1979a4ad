/**
 * MCP analytics records, per JSON-RPC message: a batch answered over SSE yields one record per
 * message with its own method, tool and JSON-RPC error; payloads are stored with secrets
 * redacted when `log_payloads` is on.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mustCreate, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/topology';
import { startGithubMcpFixture, type GithubFixture } from '../fixtures/github-mcp-server';

let s: Stack;
let sse: GithubFixture;

before(async () => {
  s = await startStack();
  sse = await startGithubMcpFixture({ sse: true });
  await mustCreate(s.api, '/services', { name: 'mcp-sse', url: `${sse.url}/mcp` });
  await mustCreate(s.api, '/services/mcp-sse/routes', { name: 'mcp-sse', paths: ['/mcp-sse'] });
  await mustCreate(s.api, '/routes/mcp-sse/plugins', {
    name: 'ai-mcp-proxy',
    config: { mode: 'passthrough-listener', logging: { log_statistics: true, log_payloads: true } },
  });
  await s.synced();
});
after(async () => {
  await s?.close();
  await sse?.close();
});

test('an SSE reply to a batch yields one record per message, errors and redacted payloads included', async () => {
  const r = await fetch(`${s.dp.proxyUrl}/mcp-sse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify([
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'search_code', arguments: { token: 's3cr3t' } },
      },
      { jsonrpc: '2.0', id: 2, method: 'resources/list' },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
    ]),
  });
  assert.equal(r.status, 200);
  const text = await r.text();
  assert.equal(text.split('event: message').length - 1, 2, 'two answers streamed');

  const records = await waitFor('three records', async () => {
    const page = await s.api('GET', '/analytics/requests?service=mcp-sse');
    return page.body.data.length === 3 ? page.body.data : undefined;
  });
  const by = (method: string) => records.find((x: any) => x.mcp_method === method);
  assert.equal(by('tools/call').tool, 'search_code');
  assert.equal(by('tools/call').jsonrpc_error, null);
  assert.equal(by('resources/list').jsonrpc_error, -32601, "the fixture's Method not found");
  assert.equal(by('notifications/initialized').jsonrpc_error, null);
  assert.equal(new Set(records.map((x: any) => x.request_id)).size, 3);
  const payload = by('tools/call').detail.request_payload;
  assert.equal(payload.params.name, 'search_code');
  assert.equal(payload.params.arguments.token, '[REDACTED]');
  assert.ok(!JSON.stringify(records).includes('s3cr3t'));
  assert.equal(by('tools/call').detail.response_payload.result.content[0].text, 'called search_code');
});
