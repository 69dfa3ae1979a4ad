/**
 * Kong's `vaults` entity and references beyond the plain env vault: an env vault under a
 * configured prefix, and the file vault a Kubernetes or Docker secret mount gives, whose secret
 * is rotated on disk and served by the data plane within its `ttl`, without a restart or a new
 * config version — and never appears in the config the control plane serves or the data plane
 * caches.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mustCreate, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/topology';
import { syncCleanly } from '../helpers/deck';
import { startFakeLlm } from '../helpers/fake-llm';

let s: Stack;
let fake: Awaited<ReturnType<typeof startFakeLlm>>;
const secrets = mkdtempSync(join(tmpdir(), 'tollgate-secrets-'));

before(async () => {
  fake = await startFakeLlm();
  process.env.TOLLGATE_TEAM_LLM_KEY = 'sk-team-env';
  writeFileSync(join(secrets, 'github-token'), 'ghp-first\n', { mode: 0o600 });
  s = await startStack();
});
after(async () => {
  await s?.close();
  fake?.close();
  delete process.env.TOLLGATE_TEAM_LLM_KEY;
});

function llmPlugin(route: string, reference: string) {
  const port = fake.port;
  return mustCreate(s.api, `/routes/${route}/plugins`, {
    name: 'ai-proxy-advanced',
    config: {
      targets: [
        {
          route_type: 'llm/v1/chat',
          auth: { header_name: 'Authorization', header_value: reference },
          model: {
            provider: 'openai',
            name: 'gpt-4o',
            options: { upstream_url: `http://127.0.0.1:${port}/v1/chat/completions` },
          },
        },
      ],
    },
  });
}

async function call(path: string): Promise<string> {
  const r = await fetch(`${s.dp.proxyUrl}${path}`, {
    method: 'POST',
    body: '{"messages":[]}',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(r.status, 200, await r.text());
  return fake.auths.at(-1)!;
}

test('vaults: Kong’s prefixes and backends, each backend’s config checked', async () => {
  const reserved = await s.api('POST', '/vaults', { prefix: 'env', name: 'env' });
  assert.equal(reserved.status, 400);
  assert.match(reserved.body.fields.prefix, /must not be one of/);
  const unknown = await s.api('POST', '/vaults', { prefix: 'cloud', name: 'aws' });
  assert.equal(unknown.status, 400);
  const noPath = await s.api('POST', '/vaults', { prefix: 'files', name: 'file', config: {} });
  assert.equal(noPath.status, 400);
  assert.ok(noPath.body.fields.config.path, JSON.stringify(noPath.body));
  const env = await mustCreate(s.api, '/vaults', {
    prefix: 'team-env',
    name: 'env',
    config: { prefix: 'TOLLGATE_TEAM_' },
  });
  assert.equal((await s.api('GET', '/vaults/team-env')).body.id, env.id, 'addressed by prefix');
});

test('an env vault under a prefix reads its own variables', async () => {
  await mustCreate(s.api, '/services', { name: 'llm', url: 'http://127.0.0.1:9' });
  await mustCreate(s.api, '/services/llm/routes', { name: 'llm', paths: ['/llm'] });
  await llmPlugin('llm', '{vault://team-env/llm-key}');
  await s.synced();
  assert.equal(await call('/llm'), 'sk-team-env');
});

test('a file vault’s secret rotates live; the secret is never in the config or the cache', async () => {
  await mustCreate(s.api, '/vaults', {
    prefix: 'mcp-secrets',
    name: 'file',
    config: { path: secrets, ttl: 1 },
  });
  await mustCreate(s.api, '/services/llm/routes', { name: 'github', paths: ['/github'] });
  await llmPlugin('github', '{vault://mcp-secrets/github-token}');
  await s.synced();
  assert.equal(await call('/github'), 'ghp-first');
  const version = s.dp.holder.current!.version;

  writeFileSync(join(secrets, 'github-token'), 'ghp-rotated\n');
  await waitFor(
    'the rotated secret to be served',
    async () => (await call('/github')) === 'ghp-rotated',
    10000,
  );
  assert.equal(s.dp.holder.current!.version, version, 'no new config version: the data plane re-read it');

  const config = JSON.stringify((await s.api('GET', '/config')).body);
  assert.ok(config.includes('{vault://mcp-secrets/github-token}'));
  assert.ok(!config.includes('ghp-'), 'the control plane holds the reference only');
  const files = (readdirSync(s.dpDataDir, { recursive: true }) as string[]).filter((f) =>
    statSync(join(s.dpDataDir, f)).isFile(),
  );
  const cached = files.map((f) => readFileSync(join(s.dpDataDir, f)).toString('latin1'));
  assert.ok(
    cached.some((text) => text.includes('mcp-secrets/github-token')),
    `the config cache: ${files}`,
  );
  assert.ok(!cached.some((text) => text.includes('ghp-')), 'the data plane caches the reference only');
});

test('decK: vaults sync, diff clean', async () => {
  const { stdout } = await syncCleanly(s, [
    '_format_version: "3.0"',
    '_info: { select_tags: [vaults] }',
    'vaults:',
    '  - prefix: deck-files',
    '    name: file',
    `    config: { path: ${JSON.stringify(secrets)}, ttl: 30 }`,
  ]);
  assert.match(stdout, /creating vault deck-files/);
});
