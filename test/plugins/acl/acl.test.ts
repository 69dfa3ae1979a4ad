/**
 * Kong's acl with key-auth, as a Kong user drives it: `acls` through the Admin API (nested under
 * consumers, unique per consumer and group), allow and deny lists on real traffic with the
 * groups sent upstream, and consumers' ACLs in a decK file (sync, clean diff, dump).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mustCreate, sendThrough, startStack, type Stack } from '../../helpers/stack';
import { startEchoUpstream } from '../../helpers/topology';
import { runTollgate } from '../../helpers/process';
import { syncCleanly, deckEnv } from '../../helpers/deck';

let s: Stack;
let echo: Awaited<ReturnType<typeof startEchoUpstream>>;
const send = (path: string, key?: string) =>
  sendThrough(s.dp.proxyUrl, path, key ? { headers: { apikey: key } } : {});

before(async () => {
  s = await startStack();
  echo = await startEchoUpstream();
  await mustCreate(s.api, '/services', { name: 'svc', url: echo.url });
  for (const [username, key] of [
    ['alice', 'alice-key'],
    ['bob', 'bob-key'],
    ['carol', 'carol-key'],
  ]) {
    await mustCreate(s.api, '/consumers', { username });
    await mustCreate(s.api, `/consumers/${username}/key-auth`, { key });
  }
  await mustCreate(s.api, '/consumers/alice/acls', { group: 'admins' });
  await mustCreate(s.api, '/consumers/alice/acls', { group: 'developers' });
  await mustCreate(s.api, '/consumers/bob/acls', { group: 'developers' });
  await mustCreate(s.api, '/consumer_groups', { name: 'gold' });
  await mustCreate(s.api, '/consumer_groups/gold/consumers', { consumer: 'carol' });
  const route = async (name: string, config: Record<string, unknown>) => {
    await mustCreate(s.api, '/services/svc/routes', { name, paths: [`/${name}`] });
    await mustCreate(s.api, `/routes/${name}/plugins`, { name: 'key-auth' });
    await mustCreate(s.api, `/routes/${name}/plugins`, { name: 'acl', config });
  };
  await route('admins', { allow: ['admins'] });
  await route('no-devs', { deny: ['developers'] });
  await route('hidden', { allow: ['developers'], hide_groups_header: true });
  await route('gold', { allow: ['gold'], include_consumer_groups: true });
  await mustCreate(s.api, '/services/svc/routes', { name: 'open', paths: ['/open'] });
  await mustCreate(s.api, '/routes/open/plugins', { name: 'acl', config: { allow: ['admins'] } });
  await s.synced();
});
after(async () => {
  await s?.close();
  await echo?.close();
});

test('acls under Kong’s paths: one group once per consumer, cascaded with it', async () => {
  const list = (await s.api('GET', '/consumers/alice/acls')).body.data;
  assert.deepEqual(list.map((a: any) => a.group).sort(), ['admins', 'developers']);
  const again = await s.api('POST', '/consumers/alice/acls', { group: 'admins' });
  assert.equal(again.status, 409, JSON.stringify(again.body));
  assert.equal(again.body.name, 'unique constraint violation');
  const top = (await s.api('GET', '/acls')).body.data;
  assert.equal(top.length, 3);
  const one = await s.api('GET', `/acls/${list[0].id}`);
  assert.equal(one.body.consumer.id, list[0].consumer.id);
  assert.equal((await s.api('POST', '/consumers/alice/acls', {})).status, 400);
  const bad = await s.api('POST', '/plugins', { name: 'acl', config: { allow: ['a'], deny: ['b'] } });
  assert.equal(bad.status, 400);
  assert.equal((await s.api('POST', '/plugins', { name: 'acl', config: {} })).status, 400);
});

test('allow and deny on real traffic; the groups go upstream unless hidden', async () => {
  const admin = await send('/admins', 'alice-key');
  assert.equal(admin.status, 200);
  assert.equal(admin.json.headers['x-consumer-groups'], 'admins, developers');
  const dev = await send('/admins', 'bob-key');
  assert.equal(dev.status, 403);
  assert.equal(dev.json.message, 'You cannot consume this service');
  assert.equal((await send('/no-devs', 'bob-key')).status, 403);
  assert.equal((await send('/no-devs', 'carol-key')).status, 200, 'no group: not denied');
  const hidden = await send('/hidden', 'bob-key');
  assert.equal(hidden.status, 200);
  assert.equal(hidden.json.headers['x-consumer-groups'], undefined);
  assert.equal((await send('/gold', 'carol-key')).status, 200, 'a consumer group counts when asked');
  assert.equal((await send('/gold', 'alice-key')).status, 403);
  assert.equal((await send('/open')).status, 401, 'no consumer: unauthorized');
});

test('consumers’ ACLs in a decK file: sync, a clean diff, a dump that syncs back unchanged', async () => {
  const { dir, stdout } = await syncCleanly(s, [
    '_format_version: "3.0"',
    '_info:',
    '  select_tags: [deck-acl]',
    'consumers:',
    '  - username: dave',
    '    keyauth_credentials:',
    '      - key: dave-key',
    '    acls:',
    '      - group: admins',
  ]);
  assert.match(stdout, /creating acl/);
  const env = deckEnv(s);
  const dumpFile = join(dir, 'dump.yaml');
  const dump = await runTollgate(['dump', '--select-tag', 'deck-acl', '-o', dumpFile], { env });
  assert.equal(dump.code, 0, dump.stderr);
  assert.match(readFileSync(dumpFile, 'utf8'), /acls:\n\s+- group: admins/);
  const resync = await runTollgate(['sync', dumpFile], { env });
  assert.equal(resync.code, 0, resync.stderr);
  assert.match(resync.stdout, /Created: 0\n {2}Updated: 0\n {2}Deleted: 0/);
  await s.synced();
  assert.equal((await send('/admins', 'dave-key')).status, 200);
});
