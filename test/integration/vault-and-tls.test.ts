import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mustCreate, startStack, type Stack } from '../helpers/stack';
import { startEchoUpstream, waitFor } from '../helpers/topology';
import { startFakeLlm } from '../helpers/fake-llm';

let s: Stack;
let fake: Awaited<ReturnType<typeof startFakeLlm>>;
let echo: Awaited<ReturnType<typeof startEchoUpstream>>;

before(async () => {
  fake = await startFakeLlm();
  process.env.TOLLGATE_TEST_LLM_KEY = 'sk-from-the-dp-env';
  s = await startStack({ ssl: true });
  echo = await startEchoUpstream();
});
after(async () => {
  await s?.close();
  await echo?.close();
  fake?.close();
  delete process.env.TOLLGATE_TEST_LLM_KEY;
});

test('vault references resolve from the data plane environment; an unset one is an apply error', async () => {
  const port = fake.port;
  await mustCreate(s.api, '/services', { name: 'llm', url: echo.url });
  await mustCreate(s.api, '/services/llm/routes', { name: 'llm', paths: ['/llm'] });
  const plugin = await mustCreate(s.api, '/routes/llm/plugins', {
    name: 'ai-proxy-advanced',
    config: {
      targets: [
        {
          route_type: 'llm/v1/chat',
          auth: { header_name: 'Authorization', header_value: '{vault://env/TOLLGATE_TEST_LLM_KEY}' },
          model: {
            provider: 'openai',
            name: 'gpt-4o',
            options: { upstream_url: `http://127.0.0.1:${port}/v1/chat/completions` },
          },
        },
      ],
    },
  });
  // the control plane stores the reference, not the secret
  assert.equal(plugin.config.targets[0].auth.header_value, '{vault://env/TOLLGATE_TEST_LLM_KEY}');
  await s.synced();
  const r = await fetch(`${s.dp.proxyUrl}/llm`, {
    method: 'POST',
    body: '{"messages":[]}',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(r.status, 200);
  assert.equal(fake.auths.at(-1), 'sk-from-the-dp-env');
  // max_request_body_size (1 MiB by default) is enforced before anything goes out
  const calls = fake.auths.length;
  const big = await fetch(`${s.dp.proxyUrl}/llm`, {
    method: 'POST',
    body: JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(1100 * 1024) }] }),
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(big.status, 413);
  assert.equal(fake.auths.length, calls);

  const good = s.dp.holder.current!.hash;
  const patched = await s.api('PATCH', `/plugins/${plugin.id}`, {
    config: {
      targets: [
        {
          ...plugin.config.targets[0],
          auth: { header_name: 'Authorization', header_value: '{vault://env/TOLLGATE_UNSET_SECRET}' },
        },
      ],
    },
  });
  assert.equal(patched.status, 200, patched.text);
  const row = await waitFor('apply_failed in the registry', async () => {
    const planes = (await s.api('GET', '/clustering/data-planes')).body.data;
    return planes.find((p: any) => p.sync_status === 'apply_failed');
  });
  assert.match(row.sync_reason, /TOLLGATE_UNSET_SECRET is not set/);
  assert.equal(s.dp.holder.current!.hash, good, 'the data plane keeps its last good config');
  const status = (await (await fetch(`${s.dp.statusUrl}/status`)).json()) as any;
  assert.match(status.last_apply_error, /TOLLGATE_UNSET_SECRET/);
  await fetch(`${s.dp.proxyUrl}/llm`, {
    method: 'POST',
    body: '{"messages":[]}',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(fake.auths.at(-1), 'sk-from-the-dp-env', 'never an empty credential');
  // fixing the config lets the data plane move on
  assert.equal((await s.api('DELETE', `/plugins/${plugin.id}`)).status, 204);
  await s.synced();
});

test('the HTTPS listener serves with a self-signed certificate kept in the data dir', async () => {
  await mustCreate(s.api, '/services', { name: 'tls-echo', url: echo.url });
  await mustCreate(s.api, '/services/tls-echo/routes', {
    name: 'tls-echo',
    paths: ['/tls'],
    protocols: ['https'],
  });
  await s.synced();
  const url = new URL(s.dp.proxySslUrl!);
  const res = await new Promise<{ status: number; body: any; cert: any }>((resolve, reject) => {
    const req = httpsRequest(
      {
        host: url.hostname,
        port: url.port,
        path: '/tls/x',
        rejectUnauthorized: false,
        servername: 'localhost',
      },
      (r) => {
        const cert = (r.socket as any).getPeerCertificate();
        const chunks: Buffer[] = [];
        r.on('data', (c) => chunks.push(c));
        r.on('end', () =>
          resolve({ status: r.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()), cert }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
  assert.equal(res.status, 200);
  assert.equal(res.body.headers['x-forwarded-proto'], 'https');
  assert.equal(res.cert.subject.CN, 'localhost');
  // an https-only route is not served on plain http
  assert.equal((await fetch(`${s.dp.proxyUrl}/tls/x`)).status, 404);
  assert.ok(existsSync(join(s.dp.dataDir, 'tls', 'proxy-selfsigned.crt')));
  const metrics = await (await fetch(`${s.dp.statusUrl}/metrics`)).text();
  assert.match(metrics, /tollgate_http_requests_total\{service="tls-echo",route="tls-echo",code="200"\} 1/);
  assert.match(
    metrics,
    /tollgate_request_latency_ms_bucket\{le="[^"]+",service="tls-echo",route="tls-echo"\}/,
  );
});
