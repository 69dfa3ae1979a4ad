import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestControlPlane, type TestControlPlane } from '../helpers/control-plane';
import { adminClient } from '../helpers/http';
import { runTollgate } from '../helpers/process';
import { SEED_ENV, SEED_FILE } from '../helpers/seed';

let t: TestControlPlane;
let api: ReturnType<typeof adminClient>;
let env: Record<string, string | undefined>;
const dir = mkdtempSync(join(tmpdir(), 'deck-cli-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const cli = (args: string[], stdin?: string, extra: Record<string, string | undefined> = {}) =>
  runTollgate(args, { env: { ...env, ...extra }, stdin });
const version = async () => (await api('GET', '/config')).body.version as number;

before(async () => {
  t = await startTestControlPlane();
  api = adminClient(t.url);
  env = { TOLLGATE_ADMIN_URL: t.url, TOLLGATE_ADMIN_TOKEN: undefined, ...SEED_ENV };
});
after(async () => t?.close());

describe('the seed decK file, byte for byte', () => {
  test('validate, sync, diff, dump, sync of the dump', async () => {
    const v = await cli(['validate', SEED_FILE]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /valid \(23 entities\)/);

    const s = await cli(['sync', SEED_FILE]);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /creating service github-mcp-service/);
    assert.match(s.stdout, /creating plugin ai-mcp-proxy \(github-mcp-listener\) for route github-mcp/);
    assert.match(s.stdout, /creating consumer-group-consumer dev-user for consumer-group developer/);
    assert.match(s.stdout, /Created: 23\n {2}Updated: 0\n {2}Deleted: 0/);
    assert.ok(!s.stdout.includes(SEED_ENV.DECK_KONNECT_MCP_TOKEN), 'DECK_* values are masked');
    const config = (await api('GET', '/config')).body.config;
    assert.equal(config.plugins.length, 9);
    assert.ok(config.services.every((x: any) => x.tags.includes('secure-external-mcp-gateway-recipe')));

    const again = await cli(['diff', SEED_FILE, '--non-zero-exit-code']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /Created: 0\n {2}Updated: 0\n {2}Deleted: 0/);

    const dumpFile = join(dir, 'dump.yaml');
    const d = await cli(['dump', '--select-tag', 'secure-external-mcp-gateway-recipe', '-o', dumpFile]);
    assert.equal(d.code, 0, d.stderr);
    assert.match(readFileSync(dumpFile, 'utf8'), /select_tags:\n {4}- secure-external-mcp-gateway-recipe/);
    const before = await version();
    const resync = await cli(['sync', dumpFile]);
    assert.equal(resync.code, 0, resync.stderr);
    assert.match(resync.stdout, /Created: 0\n {2}Updated: 0\n {2}Deleted: 0/);
    assert.equal(await version(), before, 'no changes, no new version');
  });

  test('--json-output and --non-zero-exit-code', async () => {
    const changed = SEED_FILE;
    const r = await cli(['diff', changed, '--json-output', '--non-zero-exit-code'], undefined, {
      DECK_KONNECT_MCP_TOKEN: 'kpat_rotated',
    });
    assert.equal(r.code, 2);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.summary, { creating: 0, updating: 1, deleting: 0, total: 1 });
    assert.equal(report.changes.updating[0].kind, 'plugin');
    assert.ok(!r.stdout.includes('kpat_rotated'));
    assert.match(r.stdout, /Bearer \[masked\]/);
  });
});

describe('key-auth + AI proxy snippets piped to apply -', () => {
  test('apply in sequence, never deleting', async () => {
    const seedDir = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'seeds', 'key-auth-llm');
    for (const name of ['1-service.yaml', '2-ai-proxy.yaml', '3-key-auth.yaml', '4-consumer.yaml']) {
      const r = await cli(['apply', '-'], readFileSync(join(seedDir, name), 'utf8'), {
        DECK_OPENAI_API_KEY: 'sk-x',
      });
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.match(r.stdout, /Deleted: 0/);
    }
    const config = (await api('GET', '/config')).body.config;
    assert.ok(config.consumers.some((c: any) => c.username === 'alex'));
    assert.ok(config.plugins.some((p: any) => p.name === 'ai-proxy-advanced' && !p.service && !p.route));
    // the seed's scoped entities are untouched by unscoped applies
    assert.equal(
      config.plugins.filter((p: any) => p.tags?.includes('secure-external-mcp-gateway-recipe')).length,
      9,
    );
  });
});

describe('scoping, ordering and identity', () => {
  test('select_tags: entities outside the scope are untouched by sync', async () => {
    await api('POST', '/services', {
      name: 'outside',
      url: 'http://outside.example.com',
      tags: ['other-team'],
    });
    const scoped = file(
      'team-a.yaml',
      `_format_version: "3.0"\n_info:\n  select_tags: [team-a]\nservices:\n  - name: a-svc\n    url: http://a.example.com\n    routes:\n      - name: a-route\n        paths: [/a]\n`,
    );
    assert.equal((await cli(['sync', scoped])).code, 0);
    const empty = file('team-a-empty.yaml', `_format_version: "3.0"\n_info:\n  select_tags: [team-a]\n`);
    const r = await cli(['sync', empty]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deleting route a-route\ndeleting service a-svc/);
    assert.equal((await api('GET', '/services/outside')).status, 200);
    assert.equal((await api('GET', '/services/github-mcp-service')).status, 200);
  });

  test('--select-tag stamps what sync creates and scopes it, as _info.select_tags does', async () => {
    const plain = file(
      'team-b.yaml',
      `_format_version: "3.0"\nservices:\n  - name: b-svc\n    url: http://b.example.com\n    routes:\n      - name: b-route\n        paths: [/b]\n`,
    );
    const first = await cli(['sync', plain, '--select-tag', 'team-b']);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual((await api('GET', '/services/b-svc')).body.tags, ['team-b']);
    assert.deepEqual((await api('GET', '/routes/b-route')).body.tags, ['team-b']);
    // The second run finds them in its scope: nothing to do (it used to be a 409).
    const again = await cli(['diff', plain, '--select-tag', 'team-b', '--non-zero-exit-code']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.equal((await cli(['sync', plain, '--select-tag', 'team-b'])).code, 0);
    assert.equal((await api('GET', '/services/outside')).status, 200, 'outside the scope: untouched');
    const dump = await cli(['dump', '--select-tag', 'team-b']);
    assert.match(dump.stdout, /select_tags:\n\s+- team-b/);
    assert.equal((await cli(['reset', '--force', '--select-tag', 'team-b'])).code, 0);
    assert.equal((await api('GET', '/services/b-svc')).status, 404);
  });

  test('unknown flags are errors, on every command', async () => {
    for (const args of [
      ['sync', '--selct-tag', 'x'],
      ['diff', '--consumer', 'dev-user'],
      ['dump', '--yess'],
      ['validate', '--online'],
      ['analytics', '--consumer', 'dev-user'],
      ['file', 'openapi2mcp', 'x.yaml', '--modee', 'x'],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, /^Error: unknown flag: --/, args.join(' '));
    }
    const v = await cli(['version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^tollgate \d+\.\d+\.\d+ \(Kong Admin API 3\.\d+\.\d+\)\n$/);
  });

  test('deletion order: plugins, routes, then services, in one transaction', async () => {
    const full = file(
      'del.yaml',
      `_format_version: "3.0"\n_info:\n  select_tags: [del]\nconsumers:\n  - username: del-user\n    keyauth_credentials: [{key: del-key}]\n    groups: [{name: del-group}]\nconsumer_groups:\n  - name: del-group\nservices:\n  - name: del-svc\n    url: http://d.example.com\n    plugins: [{name: cors}]\n    routes:\n      - name: del-route\n        paths: [/del]\n        plugins: [{name: key-auth}]\n`,
    );
    const c = await cli(['sync', full]);
    assert.equal(c.code, 0, c.stderr);
    const r = await cli([
      'sync',
      file('del-empty.yaml', `_format_version: "3.0"\n_info:\n  select_tags: [del]\n`),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('deleting'));
    const idx = (re: RegExp) => lines.findIndex((l) => re.test(l));
    assert.equal(lines.length, 8);
    assert.ok(idx(/^deleting plugin key-auth/) < idx(/^deleting route del-route/));
    assert.ok(idx(/^deleting route del-route/) < idx(/^deleting service del-svc/));
    assert.ok(idx(/^deleting consumer-group-consumer/) < idx(/^deleting consumer del-user/));
    assert.ok(idx(/^deleting key-auth \S+ for consumer del-user/) < idx(/^deleting consumer del-user/));
    assert.ok(idx(/^deleting consumer del-user/) < idx(/^deleting consumer-group del-group/));
    assert.equal((await api('GET', '/services/del-svc')).status, 404);
    assert.equal((await api('GET', '/key-auths/del-key')).status, 404);
  });

  test('a route moved to another service while its old service goes away', async () => {
    const head = `_format_version: "3.0"\n_info:\n  select_tags: [move]\n`;
    const before = file(
      'move1.yaml',
      `${head}services:\n  - name: move-a\n    url: http://a.example.com\n    routes:\n      - name: move-r\n        paths: [/move]\n`,
    );
    assert.equal((await cli(['sync', before])).code, 0);
    const after = file(
      'move2.yaml',
      `${head}services:\n  - name: move-b\n    url: http://b.example.com\n    routes:\n      - name: move-r\n        paths: [/move]\n`,
    );
    const r = await cli(['sync', after]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /updating route move-r/);
    assert.match(r.stdout, /deleting service move-a/);
    const route = (await api('GET', '/routes/move-r')).body;
    assert.equal(route.service.id, (await api('GET', '/services/move-b')).body.id);
  });

  test('a renamed entity without an id is recreated; with its id pinned it is updated', async () => {
    const v1 = file(
      'ren1.yaml',
      `_format_version: "3.0"\n_info:\n  select_tags: [ren]\nservices:\n  - name: ren-old\n    url: http://r.example.com\n`,
    );
    assert.equal((await cli(['sync', v1])).code, 0);
    const id = (await api('GET', '/services/ren-old')).body.id;
    const v2 = file(
      'ren2.yaml',
      `_format_version: "3.0"\n_info:\n  select_tags: [ren]\nservices:\n  - name: ren-new\n    url: http://r.example.com\n`,
    );
    const recreated = await cli(['sync', v2]);
    assert.match(recreated.stdout, /deleting service ren-old/);
    assert.match(recreated.stdout, /creating service ren-new/);
    const newId = (await api('GET', '/services/ren-new')).body.id;
    assert.notEqual(newId, id);
    const v3 = file(
      'ren3.yaml',
      `_format_version: "3.0"\n_info:\n  select_tags: [ren]\nservices:\n  - id: ${newId}\n    name: ren-pinned\n    url: http://r.example.com\n`,
    );
    const renamed = await cli(['sync', v3]);
    assert.match(renamed.stdout, /updating service ren-pinned/);
    assert.match(renamed.stdout, /- {2}"name": "ren-new"\n\+ {2}"name": "ren-pinned"/);
    assert.equal((await api('GET', '/services/ren-pinned')).body.id, newId);
  });
});

describe('errors', () => {
  test('environment variables: unprefixed, unset, bad conversions', async () => {
    const unprefixed = await cli(
      ['diff', '-'],
      `_format_version: "3.0"\nservices:\n  - name: x\n    host: \${{ env "HOME" }}\n`,
    );
    assert.equal(unprefixed.code, 1);
    assert.match(
      unprefixed.stderr,
      /environment variables in the state file must be prefixed with 'DECK_', found: 'HOME'/,
    );
    const unset = await cli(
      ['validate', '-'],
      `_format_version: "3.0"\nservices:\n  - name: x\n    host: \${{ env "DECK_NOT_SET_ANYWHERE" }}\n`,
    );
    assert.equal(unset.code, 1);
    assert.match(
      unset.stderr,
      /environment variable 'DECK_NOT_SET_ANYWHERE' present in state file but not set/,
    );
    const port = await cli(
      ['validate', '-'],
      `_format_version: "3.0"\nservices:\n  - name: x\n    host: h.example.com\n    port: \${{ env "DECK_PORT" | toInt }}\n`,
      { DECK_PORT: '80a' },
    );
    assert.equal(port.code, 1);
    assert.match(port.stderr, /DECK_PORT: cannot convert its value to int/);
    const good = await cli(
      ['validate', '-'],
      `_format_version: "3.0"\nservices:\n  - name: x\n    host: h.example.com\n    port: \${{ env "DECK_PORT" | toInt }}\n    enabled: \${{ env "DECK_ON" | toBool }}\n`,
      { DECK_PORT: '8080', DECK_ON: 'true' },
    );
    assert.equal(good.code, 0, good.stderr);
  });

  test('invalid files: clear messages naming file, entity and field; nothing applied', async () => {
    const before = await version();
    const badYaml = await cli([
      'sync',
      file('bad.yaml', `_format_version: "3.0"\nservices:\n  - name: [unclosed\n`),
    ]);
    assert.equal(badYaml.code, 1);
    assert.match(badYaml.stderr, /bad\.yaml: not valid YAML/);
    const badField = file(
      'badfield.yaml',
      `_format_version: "3.0"\nservices:\n  - name: ok-svc\n    url: http://ok.example.com\n    routes:\n      - name: bad-route\n        paths: [/x]\n        plugins:\n          - name: ai-mcp-proxy\n            config:\n              mode: passthrough-listener\n              tools:\n                - name: a\n                  description: a\n                  acl:\n                    allow: admin\n`,
    );
    for (const verb of ['validate', 'sync']) {
      const r = await cli([verb, badField]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /badfield\.yaml: services\[0\]\.routes\[0\]\.plugins\[0\]: config\.tools\.1\.acl\.allow: expected an array/,
      );
    }
    const missingRef = await cli([
      'sync',
      file(
        'ref.yaml',
        `_format_version: "3.0"\nroutes:\n  - name: r\n    paths: [/r]\n    service: {name: no-such-service}\n`,
      ),
    ]);
    assert.equal(missingRef.code, 1);
    assert.match(missingRef.stderr, /routes\[0\]: service 'no-such-service' not found/);
    assert.equal((await api('GET', '/services/ok-svc')).status, 404);
    assert.equal(await version(), before, 'nothing applied');
  });

  test('file errors: the YAML code frame shown, each error once at its cause, url never hides a bad port', async () => {
    const yaml = await cli([
      'validate',
      file('frame.yaml', 'services:\n  - name: a\n    url: http://x\n   bad: 1\n'),
    ]);
    assert.equal(yaml.code, 1);
    assert.match(
      yaml.stderr,
      /not valid YAML\/JSON: .* at line 4, column 1\n\n {4}.*url: http:\/\/x\n {4} {3}bad: 1\n {4}\^/,
    );
    const cascade = await cli([
      'validate',
      file(
        'cascade.yaml',
        `_format_version: "3.0"\nservices:\n  - name: a\n    url: http://x\n    port: "abc"\n    routes:\n      - name: r\n        paths: [/a]\n        methods: 5\n        plugins:\n          - name: key-auth\nconsumers:\n  - username: u\n    plugins:\n      - name: rate-limiting\n        route: r\n        config: {minute: 1}\n`,
      ),
    ]);
    assert.equal(cascade.code, 1);
    assert.match(cascade.stderr, /services\[0\]: port: expected an integer/);
    assert.match(cascade.stderr, /services\[0\]\.routes\[0\]: methods: expected a set/);
    assert.doesNotMatch(cascade.stderr, /not found/);
    assert.match(cascade.stderr, /^Error: 2 validation errors:/);
  });

  test('--help for every verb; reset asks unless --force', async () => {
    for (const verb of ['validate', 'diff', 'sync', 'apply', 'dump', 'reset']) {
      const r = await cli([verb, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`Usage: tollgate ${verb}`));
    }
    const refused = await cli(['reset']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /reset aborted/);
    assert.equal((await api('GET', '/services/github-mcp-service')).status, 200);
    const scoped = await cli(['reset', '--force', '--select-tag', 'secure-external-mcp-gateway-recipe']);
    assert.equal(scoped.code, 0, scoped.stderr);
    assert.equal((await api('GET', '/services/github-mcp-service')).status, 404);
    assert.equal((await api('GET', '/services/outside')).status, 200);
    assert.equal((await cli(['reset', '--force'])).code, 0);
    const config = (await api('GET', '/config')).body.config;
    assert.equal(config.services.length + config.consumers.length + config.plugins.length, 0);
  });
});
