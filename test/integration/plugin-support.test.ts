/**
 * Plugin settings the data planes cannot run are refused when written (a snapshot applies all or
 * nothing: accepting one would make every data plane refuse every later config).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mustCreate, startStack, type Stack } from '../helpers/stack';

let s: Stack;
before(async () => {
  s = await startStack();
  await mustCreate(s.api, '/services', { name: 'svc', url: 'http://127.0.0.1:9/' });
  await mustCreate(s.api, '/services/svc/routes', { name: 'r', paths: ['/r'] });
});
after(async () => {
  await s?.close();
});

test("ai-mcp-proxy session strategy 'redis': a schema violation naming the field", async () => {
  for (const mode of ['conversion-listener', 'listener']) {
    const r = await s.api('POST', '/routes/r/plugins', {
      name: 'ai-mcp-proxy',
      config: { mode, server: { tag: 't', session: { strategy: 'redis' } } },
    });
    assert.equal(r.status, 400, `${mode}: ${r.text}`);
    assert.equal(r.body.code, 2);
    assert.equal(r.body.name, 'schema violation');
    assert.match(r.body.fields.config.server.session.strategy, /strategy 'redis' is not supported/);
  }
});

test('ai-proxy-advanced route types and providers the data planes cannot reach are refused', async () => {
  const target = (route_type: string, provider: string, options: object = {}) => ({
    name: 'ai-proxy-advanced',
    config: {
      targets: [
        {
          route_type,
          model: { provider, name: 'm', options },
          auth: { header_name: 'a', header_value: 'b' },
        },
      ],
    },
  });
  const realtime = await s.api('POST', '/routes/r/plugins', target('realtime/v1/realtime', 'openai'));
  assert.equal(realtime.status, 400, realtime.text);
  assert.match(realtime.body.fields.config.targets[0].route_type, /not supported/);
  const anthropic = await s.api('POST', '/routes/r/plugins', target('llm/v1/chat', 'anthropic'));
  assert.equal(anthropic.status, 400, anthropic.text);
  assert.match(
    anthropic.body.fields.config.targets[0].model.options.upstream_url,
    /required for provider 'anthropic'/,
  );
  // with an OpenAI-compatible URL it is accepted, and the data plane applies it
  const ok = await s.api(
    'POST',
    '/routes/r/plugins',
    target('llm/v1/chat', 'anthropic', { upstream_url: 'http://127.0.0.1:9/v1/chat/completions' }),
  );
  assert.equal(ok.status, 201, ok.text);
  await s.synced();
  assert.equal(s.dp.holder.current?.hash, (await s.api('GET', '/config')).body.hash);
});
