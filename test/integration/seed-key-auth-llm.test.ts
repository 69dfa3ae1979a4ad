import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/stack';
import { runTollgate } from '../helpers/process';

const DIR = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'seeds', 'key-auth-llm');
const OPENAI_KEY = 'sk-test-openai-key-123';

let s: Stack;
let fake: Server;
const seen: { path: string; headers: Record<string, any>; body: any }[] = [];

before(async () => {
  // A local stand-in for the OpenAI Responses API.
  fake = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      seen.push({ path: req.url!, headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'resp_1', object: 'response', status: 'completed', output_text: 'OK' }));
    });
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
  process.env.TOLLGATE_AI_OPENAI_URL = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  s = await startStack();
});
after(async () => {
  await s?.close();
  fake?.close();
  delete process.env.TOLLGATE_AI_OPENAI_URL;
});

test('the flow of the key-auth + AI Proxy Advanced document works as written', async () => {
  const env = { DECK_OPENAI_API_KEY: OPENAI_KEY };
  // As the document does it: each snippet piped to `apply -`, in order.
  for (const file of readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const r = await runTollgate(['apply', '-'], {
      env: { ...env, TOLLGATE_ADMIN_URL: s.cp.url, TOLLGATE_ADMIN_TOKEN: undefined },
      stdin: readFileSync(join(DIR, file), 'utf8'),
    });
    assert.equal(r.code, 0, `${file}: ${r.stderr}`);
  }
  await s.synced();
  const request = (headers: Record<string, string>) =>
    fetch(`${s.dp.proxyUrl}/anything`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer client-openai-key', ...headers },
      body: JSON.stringify({
        tools: [
          {
            type: 'mcp',
            server_label: 'gitmcp',
            server_url: 'https://api.githubcopilot.com/mcp/',
            require_approval: 'never',
          },
        ],
        input: 'How do I use GitHub MCP?',
      }),
    });

  const ok = await request({ apikey: 'hello_world' });
  assert.equal(ok.status, 200);
  assert.equal(((await ok.json()) as any).output_text, 'OK');
  assert.equal(seen.length, 1);
  assert.equal(seen[0].path, '/v1/responses');
  assert.equal(seen[0].headers.authorization, `Bearer ${OPENAI_KEY}`);
  assert.equal(seen[0].body.model, 'gpt-4o');
  assert.equal(seen[0].body.max_output_tokens, 512);
  assert.equal(seen[0].body.temperature, 1);
  assert.equal(seen[0].body.input, 'How do I use GitHub MCP?');
  assert.equal(seen[0].headers['x-consumer-username'], 'alex');

  const wrong = await request({ apikey: 'another_key' });
  assert.equal(wrong.status, 401);
  assert.equal(((await wrong.json()) as any).message, 'Unauthorized');

  const none = await request({});
  assert.equal(none.status, 401);
  assert.equal(((await none.json()) as any).message, 'No API key found in request');
  assert.equal(seen.length, 1, 'rejected requests never reach the LLM');
});
