/**
 * One definition per plugin drives every plane: the folder convention loads, names and
 * priorities come from the definition, handlers get the typed config (checked by `tsc`: the
 * `@ts-expect-error` lines fail the build when a config type degrades to `any`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED, BUNDLED_PLUGINS } from '../../plugins/registry';
import { PLUGIN_LIST, PLUGINS } from '../../shared/plugins/registry';
import { PLUGIN_HANDLERS } from '../../data-plane/plugins';
import { ENTITY_LIST, PLUGIN_ENTITIES } from '../../shared/entities';
import type { PluginConfig } from '../../shared/plugins/definition';
import { normalizeEntity } from '../../shared/entities/normalize';
import { pluginEntity } from '../../shared/entities';
import keyAuthPlugin from '../../plugins/key-auth/schema';
import rateLimitingPlugin from '../../plugins/rate-limiting/schema';
import type { CompileEnv } from '../../data-plane/runtime/plugin-api';
import { parseBasic } from '../../plugins/basic-auth/handler';
import { LocalCounters } from '../../plugins/lib/local-counters';
import { windowOf } from '../../plugins/lib/windows';
import { hashPassword, verifyPassword, verifyPasswordSync } from '../../plugins/basic-auth/password';

test('every bundled plugin folder gives a definition and a handler of the same name', () => {
  assert.deepEqual(
    PLUGIN_LIST.map((p) => p.name),
    [...BUNDLED_PLUGINS],
  );
  assert.deepEqual(
    PLUGIN_HANDLERS.map((h) => h.name),
    [...BUNDLED_PLUGINS],
  );
  for (const p of PLUGIN_LIST) {
    assert.equal(p.schema.type, 'object', p.name);
    assert.ok(Number.isInteger(p.priority), p.name);
  }
});

test('every plugin folder is registered with every part it has', () => {
  const root = join(__dirname, '../../plugins');
  const folders = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'schema.js')))
    .map((d) => d.name);
  assert.deepEqual([...folders].sort(), [...BUNDLED_PLUGINS].sort());
  for (const p of BUNDLED) {
    assert.equal(Boolean(p.controlPlane), existsSync(join(root, p.name, 'control-plane')), p.name);
    assert.equal(Boolean(p.cli), existsSync(join(root, p.name, 'cli.js')), p.name);
  }
});

test("plugin-owned entities join the entity list after their parents, with Kong's names", () => {
  assert.deepEqual(
    PLUGIN_ENTITIES.map((e) => [e.name, e.adminApiName, e.adminApiNestedName, e.cacheKey]),
    [
      ['keyauth_credentials', 'key-auths', 'key-auth', ['key']],
      ['basicauth_credentials', 'basic-auths', 'basic-auth', ['username']],
      ['jwt_secrets', 'jwts', 'jwt', ['key']],
      ['hmacauth_credentials', 'hmac-auths', 'hmac-auth', ['username']],
      ['acls', 'acls', 'acls', ['consumer', 'group']],
    ],
  );
  const names = ENTITY_LIST.map((e) => e.name);
  for (const e of PLUGIN_ENTITIES)
    for (const fk of e.foreignKeys) assert.ok(names.indexOf(fk.references) < names.indexOf(e.name));
});

test('handlers get the validated, typed config; name and priority come from the definition', () => {
  const checked = normalizeEntity(pluginEntity, { name: 'rate-limiting', config: { minute: 5 } });
  assert.ok(checked.ok);
  const config: PluginConfig<typeof rateLimitingPlugin> = checked.value.config;
  const limit: number | null = config.minute;
  assert.equal(limit, 5);
  assert.equal(config.limit_by, 'consumer');
  assert.equal(config.policy, 'local');
  // @ts-expect-error `minute` is a number, not a string
  const wrong: string = config.minute;
  void wrong;
  const keyAuth: PluginConfig<typeof keyAuthPlugin> = { ...keyAuthPlugin.schema, key_names: ['k'] } as any;
  // @ts-expect-error there is no such field on key-auth's config
  void keyAuth.key_name;

  const handler = PLUGIN_HANDLERS.find((h) => h.name === 'rate-limiting')!;
  const instance = handler.create(
    { ...checked.value, id: '00000000-0000-4000-8000-000000000001' },
    {} as CompileEnv,
  );
  assert.equal(instance.name, 'rate-limiting');
  assert.equal(instance.priority, PLUGINS.get('rate-limiting')!.priority);
  assert.equal(instance.priority, 910);
});

test('basic-auth: Basic header parsing is strict; passwords hash with a random salt', async () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  assert.deepEqual(parseBasic(`Basic ${b64('a:b:c')}`), { username: 'a', password: 'b:c' });
  assert.deepEqual(parseBasic(`basic ${b64('a:')}`), { username: 'a', password: '' });
  for (const bad of [
    undefined,
    'Basic',
    `Basic ${b64(':x')}`,
    `Basic ${b64('nocolon')}`,
    'Basic a b',
    'Basic ab=c',
  ])
    assert.equal(parseBasic(bad), null, String(bad));
  const h1 = await hashPassword('pw');
  const h2 = await hashPassword('pw');
  assert.notEqual(h1, h2);
  assert.ok(await verifyPassword('pw', h1));
  assert.ok(!(await verifyPassword('pW', h1)));
  assert.ok(verifyPasswordSync('pw', h2));
  assert.ok(!(await verifyPassword('pw', 'not-a-hash')));
});

test('rate-limiting: windows align in UTC; ended windows are dropped whole', () => {
  const t = Date.UTC(2026, 1, 28, 23, 59, 59, 500);
  assert.deepEqual(windowOf('second', t), { start: t - 500, end: t + 500 });
  assert.deepEqual(windowOf('minute', t), {
    start: Date.UTC(2026, 1, 28, 23, 59),
    end: Date.UTC(2026, 2, 1),
  });
  assert.deepEqual(windowOf('month', t), { start: Date.UTC(2026, 1, 1), end: Date.UTC(2026, 2, 1) });
  assert.deepEqual(windowOf('year', t), { start: Date.UTC(2026, 0, 1), end: Date.UTC(2027, 0, 1) });
  const c = new LocalCounters(3);
  c.increment('a', 1000, 0);
  c.increment('a', 1000, 10);
  c.increment('b', 2000, 10);
  assert.equal(c.get('a', 1000), 2);
  c.increment('c', 2000, 1000); // the window ending at 1000 is over
  assert.equal(c.get('a', 1000), 0);
  assert.equal(c.entries, 2);
  c.increment('d', 2000, 1001);
  c.increment('e', 2000, 1002); // full: not stored
  assert.equal(c.entries, 3);
  assert.equal(c.get('e', 2000), 0);
});
