/**
 * Kong's own UI building blocks (the `@kong-ui-public/entities-*` packages Kong Manager is made
 * of, built into Tollgate's console) in headless Chromium, against a running control plane
 * whose Admin API is on another origin: lists, detail pages, and create/edit forms for
 * services, routes, consumers, consumer groups, key-auth credentials and every bundled plugin
 * render and save — each save checked through the Admin API.
 */
import { after, before, describe, test } from '../helpers/browser-test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startTestControlPlane, type TestControlPlane } from '../helpers/control-plane';
import { adminClient } from '../helpers/http';
import { launchBrowser, openPage, type WatchedPage } from '../helpers/browser';
import { loadSeed } from '../helpers/seed';
import { PLUGIN_LIST } from '../../shared/plugins/registry';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDataPlane } from '../../data-plane/main';
import { waitFor } from '../helpers/topology';

let t: TestControlPlane;
let api: ReturnType<typeof adminClient>;
let browser: Browser;
let w: WatchedPage;
let consoleUrl: string;

before(async () => {
  t = await startTestControlPlane({ consoleListen: { host: '127.0.0.1', port: 0 } });
  assert.ok(t.cp.consoleUrl, 'the console is built and served');
  consoleUrl = t.cp.consoleUrl!;
  assert.notEqual(new URL(consoleUrl).origin, new URL(t.url).origin);
  api = adminClient(t.url);
  browser = await launchBrowser();
  w = await openPage(browser);
});
after(async () => {
  await browser?.close();
  await t?.close();
});

/** Load a console page afresh (the app reloads, its event log starts empty). */
async function visit(hash: string) {
  await w.page.goto('about:blank');
  await w.page.goto(`${consoleUrl}/#${hash}`, { waitUntil: 'networkidle' });
}

const tid = (id: string) => w.page.locator(`[data-testid="${id}"]`);

/** The form's outcome: the saved entity (`update`), or the failure the page reported. */
async function saved(pageName: string): Promise<any> {
  const handle = await w.page.waitForFunction(
    (p) =>
      (globalThis as any).__kuiEvents?.find(
        (e: any) => e.page === p && (e.event === 'update' || e.event === 'error'),
      ) ?? null,
    pageName,
    { timeout: 30_000, polling: 100 },
  );
  const ev: any = await handle.jsonValue();
  assert.equal(ev.event, 'update', `${pageName} failed: ${JSON.stringify(ev.payload)}`);
  return ev.payload;
}

/** Wait until the page shows `text` (lists and cards fill in after their fetch). */
async function shows(text: string) {
  await w.page.locator('main').getByText(text, { exact: false }).first().waitFor({ timeout: 20_000 });
}

/** Kong's forms send an empty map or list where nothing was stored (`{}` for `null`): the same config. */
function emptyAsNull(v: any): any {
  if (Array.isArray(v)) return v.length ? v.map(emptyAsNull) : null;
  if (v && typeof v === 'object') {
    const keys = Object.keys(v);
    return keys.length ? Object.fromEntries(keys.map((k) => [k, emptyAsNull(v[k])])) : null;
  }
  return v;
}

function noProblems(where: string) {
  const seen = w.problems.splice(0);
  assert.deepEqual(seen, [], `${where}: page errors, console errors or failed requests`);
}

describe('entity pages built from Kong UI packages', () => {
  const ids: Record<string, string> = {};

  before(async () => {
    const svc = await api('POST', '/services', {
      name: 'ui-seeded-svc',
      url: 'http://upstream.test:9000/v1',
    });
    ids.service = svc.body.id;
    const route = await api('POST', `/services/${svc.body.id}/routes`, {
      name: 'ui-seeded-route',
      paths: ['/seeded'],
    });
    ids.route = route.body.id;
    const consumer = await api('POST', '/consumers', {
      username: 'ui-seeded-consumer',
      custom_id: 'seeded-1',
    });
    ids.consumer = consumer.body.id;
    const group = await api('POST', '/consumer_groups', { name: 'ui-seeded-group' });
    ids.group = group.body.id;
    await api('POST', `/consumer_groups/${group.body.id}/consumers`, { consumer: consumer.body.id });
    await api('POST', `/consumers/${consumer.body.id}/key-auth`, { key: 'ui-seeded-key' });
    const plugin = await api('POST', `/services/${svc.body.id}/plugins`, { name: 'cors', config: {} });
    ids.plugin = plugin.body.id;
  });

  test('lists and detail pages render what the Admin API holds', async () => {
    const pages: [string, string, string][] = [
      ['/services', 'ui-seeded-svc', 'services-list'],
      [`/services/${ids.service}`, 'upstream.test', 'service-detail'],
      ['/routes', 'ui-seeded-route', 'routes-list'],
      [`/routes/${ids.route}`, '/seeded', 'route-detail'],
      ['/consumers', 'ui-seeded-consumer', 'consumers-list'],
      [`/consumers/${ids.consumer}`, 'seeded-1', 'consumer-detail'],
      ['/consumer-groups', 'ui-seeded-group', 'consumer-groups-list'],
      [`/consumer-groups/${ids.group}`, 'ui-seeded-consumer', 'consumer-group-detail'],
      ['/plugins', 'cors', 'plugins-list'],
      [`/plugins/cors/${ids.plugin}`, ids.plugin, 'plugin-detail'],
    ];
    for (const [hash, text, shot] of pages) {
      await visit(hash);
      await shows(text);
      await w.screenshot(`kong-ui-${shot}`);
      noProblems(hash);
    }
  });

  test('lists search as Kong Manager OSS does: an exact id or name', async () => {
    await api('POST', '/services', { name: 'ui-search-other', host: 'other.test' });
    await visit('/services');
    await shows('ui-search-other');
    const search = w.page.getByPlaceholder('Filter by exact name or ID');
    await search.fill('ui-seeded-svc');
    await w.page.waitForFunction(
      () => !(globalThis as any).document.querySelector('main')?.innerText.includes('ui-search-other'),
      undefined,
      { timeout: 20_000 },
    );
    await shows('ui-seeded-svc');
    noProblems('service search');
  });

  test('lists filter by tags with the Admin API tags query (a,b all; a/b any), kept in the URL', async () => {
    await api('POST', '/consumers', { username: 'ui-tag-team-a', tags: ['team-a', 'prod'] });
    await api('POST', '/consumers', { username: 'ui-tag-team-b', tags: ['team-b', 'prod'] });
    await visit('/consumers');
    await shows('ui-tag-team-b');
    const names = async () =>
      (await w.page.locator('main').innerText()).match(/ui-tag-team-[ab]|ui-seeded-consumer/g)?.sort() ?? [];
    const filterBy = async (tags: string, expected: string[]) => {
      await tid('tag-filter-input').fill(tags);
      await tid('tag-filter-apply').click();
      await w.page.waitForFunction(
        (want) => {
          const text: string = (globalThis as any).document.querySelector('main')?.innerText ?? '';
          const seen = (text.match(/ui-tag-team-[ab]|ui-seeded-consumer/g) ?? []).sort();
          return JSON.stringify([...new Set(seen)]) === JSON.stringify(want);
        },
        expected,
        { timeout: 20_000 },
      );
    };
    await filterBy('team-a', ['ui-tag-team-a']);
    assert.match(w.page.url(), /[?&]tags=team-a\b/);
    await filterBy('team-a/team-b', ['ui-tag-team-a', 'ui-tag-team-b']);
    await filterBy('prod,team-b', ['ui-tag-team-b']);
    // The filter is in the URL: a reload keeps it.
    await w.page.reload({ waitUntil: 'networkidle' });
    await shows('ui-tag-team-b');
    assert.deepEqual([...new Set(await names())], ['ui-tag-team-b']);
    await w.screenshot('kong-ui-consumers-tag-filter');
    await tid('tag-filter-clear').click();
    await shows('ui-seeded-consumer');
    noProblems('tag filter');
  });

  test('the plugin picker offers the bundled plugins Kong knows', async () => {
    await visit('/plugins/select');
    await tid('key-auth-card').waitFor({ timeout: 20_000 });
    for (const name of ['key-auth', 'basic-auth', 'cors', 'rate-limiting'])
      assert.equal(await tid(`${name}-card`).count(), 1, name);
    await w.screenshot('kong-ui-plugin-select');
    noProblems('plugin select');
  });

  test('service form: create from a URL, then edit', async () => {
    await visit('/services/create');
    await tid('gateway-service-name-input').fill('ui-made-svc');
    await tid('gateway-service-url-input').fill('http://made.test:8080/api');
    await tid('service-create-form-submit').click();
    const created = await saved('service-form');
    const stored = (await api('GET', '/services/ui-made-svc')).body;
    assert.equal(stored.id, created.id);
    assert.deepEqual(
      [stored.protocol, stored.host, stored.port, stored.path],
      ['http', 'made.test', 8080, '/api'],
    );

    await visit(`/services/${stored.id}/edit`);
    await tid('gateway-service-name-input').fill('ui-made-svc-2');
    await tid('service-edit-form-submit').click();
    await saved('service-form');
    const edited = (await api('GET', `/services/${stored.id}`)).body;
    assert.equal(edited.name, 'ui-made-svc-2');
    assert.equal(edited.host, 'made.test');
    noProblems('service form');
  });

  test('route form: create on a service, then edit', async () => {
    await visit('/routes/create');
    await tid('route-form-name').fill('ui-made-route');
    await tid('route-form-service-id').click();
    await w.page.locator(`[data-testid="select-item-${ids.service}"] button`).click();
    await tid('route-form-paths-input-1').fill('/made');
    await w.screenshot('kong-ui-route-form');
    await tid('route-create-form-submit').click();
    const created = await saved('route-form');
    const stored = (await api('GET', `/routes/${created.id}`)).body;
    assert.equal(stored.name, 'ui-made-route');
    assert.deepEqual(stored.paths, ['/made']);
    assert.equal(stored.service.id, ids.service);

    await visit(`/routes/${created.id}/edit`);
    await tid('route-form-name').fill('ui-made-route-2');
    await tid('route-edit-form-submit').click();
    await saved('route-form');
    const edited = (await api('GET', `/routes/${created.id}`)).body;
    assert.equal(edited.name, 'ui-made-route-2');
    assert.deepEqual(edited.paths, ['/made']);
    noProblems('route form');
  });

  test('consumer form, consumer group form with a member, key-auth credential form', async () => {
    await visit('/consumers/create');
    await tid('consumer-form-username').fill('ui-made-consumer');
    await tid('consumer-form-custom-id').fill('made-1');
    await tid('consumer-create-form-submit').click();
    const consumer = await saved('consumer-form');
    assert.equal((await api('GET', '/consumers?custom_id=made-1')).body.data[0].id, consumer.id);

    await visit(`/consumers/${consumer.id}/edit`);
    await tid('consumer-form-custom-id').fill('made-2');
    await tid('consumer-edit-form-submit').click();
    await saved('consumer-form');
    assert.equal((await api('GET', `/consumers/${consumer.id}`)).body.custom_id, 'made-2');

    await visit('/consumer-groups/create');
    await tid('consumer-group-form-name').fill('ui-made-group');
    await tid('multiselect-trigger').click();
    await tid(`multiselect-item-${consumer.id}`).click();
    await w.page.keyboard.press('Escape');
    await w.page.locator('main h1').click(); // closes the member picker
    await tid('consumer_group-create-form-submit').click();
    const group = await saved('consumer-group-form');
    await w.page.waitForTimeout(500); // members are added right after the group is created
    const members = (await api('GET', `/consumer_groups/${group.id}/consumers`)).body.data;
    assert.deepEqual(
      members.map((c: any) => c.username),
      ['ui-made-consumer'],
    );

    await visit(`/consumers/${consumer.id}/credentials/key-auth/create`);
    // The key field is a secret (Kong's `encrypted`): a password input.
    await w.page.locator('main input[type="password"]').first().fill('ui-made-key');
    await w.screenshot('kong-ui-key-auth-credential-form');
    await tid('plugin-create-form-submit').click();
    await saved('credential-form');
    const creds = (await api('GET', `/consumers/${consumer.id}/key-auth`)).body.data;
    assert.deepEqual(
      creds.map((c: any) => c.key),
      ['ui-made-key'],
    );

    await visit(`/consumers/${consumer.id}/credentials/key-auth/${creds[0].id}/edit`);
    await w.page.locator('main input[type="password"]').first().fill('ui-made-key-2');
    await tid('plugin-edit-form-submit').click();
    await saved('credential-form');
    assert.equal((await api('GET', `/key-auths/${creds[0].id}`)).body.key, 'ui-made-key-2');
    noProblems('consumer, group and credential forms');
  });

  test('plugin forms create with defaults, scoped and global', async () => {
    const defaults: [string, string | undefined][] = [
      ['key-auth', undefined],
      ['cors', `entity_type=routes&entity_id=${ids.route}`],
      ['basic-auth', `entity_type=routes&entity_id=${ids.route}`],
      ['request-transformer-advanced', undefined],
      ['response-transformer-advanced', undefined],
    ];
    for (const [name, scope] of defaults) {
      await visit(`/plugins/${name}/create${scope ? `?${scope}` : ''}`);
      await w.screenshot(`kong-ui-plugin-form-${name}`);
      await tid('plugin-create-form-submit').click();
      const plugin = await saved('plugin-form');
      const stored = (await api('GET', `/plugins/${plugin.id}`)).body;
      assert.equal(stored.name, name);
      const expected = (await api('POST', '/schemas/plugins/validate', { name, config: {} })).status;
      assert.equal(expected, 200);
      if (scope) assert.equal(stored.route.id, ids.route, name);
      await w.page.goto('about:blank'); // leave the detail page before its plugin goes
      await api('DELETE', `/plugins/${plugin.id}`);
    }
    noProblems('plugin create forms');
  });

  test('every bundled plugin: its edit form loads the stored config and saves it back unchanged', async () => {
    const seedConfigs = new Map<string, any>();
    for (const svc of loadSeed().services)
      for (const r of svc.routes ?? []) for (const p of r.plugins ?? []) seedConfigs.set(p.name, p.config);
    const minimal: Record<string, any> = {
      'rate-limiting': { minute: 10, hour: 100 },
      'ai-mcp-rate-limiting': {
        limits: [{ tools: ['search_code'], consumer_groups: ['developer'], day: 20 }],
      },
      // Kong's entity checks: one of allow or deny.
      acl: { allow: ['admins'] },
      'ip-restriction': { allow: ['127.0.0.1', '10.0.0.0/8'] },
      'ai-proxy-advanced': {
        targets: [
          {
            route_type: 'llm/v1/chat',
            auth: { header_name: 'Authorization', header_value: '{vault://env/OPENAI_KEY}' },
            model: { provider: 'openai', name: 'gpt-4o', options: { max_tokens: 256 } },
          },
        ],
      },
    };
    for (const def of PLUGIN_LIST) {
      const config = seedConfigs.get(def.name) ?? minimal[def.name] ?? {};
      // What the plugin requires on its route (mcp-tool-pinning: ai-mcp-proxy) goes there first.
      const required: string[] = [];
      for (const name of def.requires ?? []) {
        const r = await api('POST', `/routes/${ids.route}/plugins`, {
          name,
          config: seedConfigs.get(name) ?? minimal[name] ?? {},
        });
        assert.equal(r.status, 201, `${name} for ${def.name}: ${JSON.stringify(r.body)}`);
        required.push(r.body.id);
      }
      const created = await api('POST', `/routes/${ids.route}/plugins`, {
        name: def.name,
        config,
        tags: ['ui'],
      });
      assert.equal(created.status, 201, `${def.name}: ${JSON.stringify(created.body)}`);
      await visit(`/plugins/${def.name}/${created.body.id}/edit?entity_type=routes&entity_id=${ids.route}`);
      await tid('plugin-edit-form-submit').waitFor({ timeout: 30_000 });
      await w.screenshot(`kong-ui-plugin-edit-${def.name}`);
      // The schema-driven forms enable Save once something changed: disable the plugin (its
      // config untouched). Datakit's YAML editor can save as loaded.
      const toggled = await tid('plugin-edit-form-submit').isDisabled();
      if (toggled)
        await w.page
          .locator('main')
          .getByText(/^(This plugin is enabled|Enabled)$/)
          .filter({ visible: true })
          .first()
          .click();
      await tid('plugin-edit-form-submit').click();
      await saved('plugin-form');
      const after = (await api('GET', `/plugins/${created.body.id}`)).body;
      assert.equal(after.enabled, !toggled, def.name);
      assert.deepEqual(
        emptyAsNull(after.config),
        emptyAsNull(created.body.config),
        `${def.name}: config changed by a round trip`,
      );
      assert.equal(after.route.id, ids.route);
      await w.page.goto('about:blank'); // leave the detail page before its plugin goes
      await api('DELETE', `/plugins/${created.body.id}`);
      for (const id of required) await api('DELETE', `/plugins/${id}`);
      noProblems(`${def.name} edit form`);
    }
  });
});

describe('what Kong Manager does not have', () => {
  test('data planes: node, hostname, version, config hash against the control plane’s, sync state', async () => {
    const dp = await startDataPlane(
      {
        proxyListen: { host: '127.0.0.1', port: 0 },
        proxySslListen: null,
        statusListen: { host: '127.0.0.1', port: 0 },
        cpUrl: t.cp.clusterUrl,
        dataDir: mkdtempSync(join(tmpdir(), 'tollgate-console-dp-')),
        nodeId: '',
        allowedHosts: ['*'],
      },
      { log: () => {} },
    );
    try {
      const { hash } = (await api('GET', '/config')).body;
      await waitFor(
        'the data plane runs the newest config',
        async () => {
          const list = (await api('GET', '/clustering/data-planes')).body.data;
          return list.some((d: any) => d.id === dp.nodeId && d.config_hash === hash && d.analytics);
        },
        30_000,
      );
      await visit('/data-planes');
      const row = tid(`data-plane-${dp.nodeId}`);
      await row.waitFor({ timeout: 20_000 });
      await shows(hash.slice(0, 12));
      assert.equal(await row.locator('[data-testid="config-state"]').innerText(), 'current');
      assert.equal(await row.locator('[data-testid="sync-state"]').innerText(), 'in sync');
      assert.match(
        await row.locator('[data-testid="analytics-backlog"]').innerText(),
        /\d+ batches unacknowledged/,
      );
      await w.screenshot('console-data-planes');
      noProblems('data planes');
    } finally {
      await dp.close();
    }
  });
});

describe('with an admin token', () => {
  test('nothing shows before signing in; a wrong token is refused; the right one works', async () => {
    const guarded = await startTestControlPlane({
      adminToken: 'console-test-token',
      consoleListen: { host: '127.0.0.1', port: 0 },
    });
    const page = await openPage(browser);
    try {
      await adminClient(guarded.url, 'console-test-token')('POST', '/services', {
        name: 'guarded-svc',
        host: 'guarded.test',
      });
      const url = `${guarded.cp.consoleUrl}/#/services`;
      await page.page.goto(url, { waitUntil: 'networkidle' });
      await page.page.locator('[data-testid="console-sign-in"]').waitFor();
      assert.ok(!(await page.page.locator('body').innerText()).includes('guarded-svc'));
      assert.equal(await page.page.locator('nav').count(), 0);

      await page.page
        .locator('[data-testid="console-token-input"] input, input[type="password"]')
        .first()
        .fill('wrong');
      await page.page.locator('[data-testid="console-sign-in-submit"]').click();
      await page.page.locator('[data-testid="console-sign-in-error"]').waitFor();
      page.problems.splice(0); // the refused token's 401 is expected

      await page.page.locator('input[type="password"]').first().fill('console-test-token');
      await page.page.locator('[data-testid="console-sign-in-submit"]').click();
      await page.page.locator('main').getByText('guarded-svc').first().waitFor({ timeout: 20_000 });
      assert.ok(!page.page.url().includes('console-test-token'), 'the token never lands in a URL');
      assert.deepEqual(page.problems, []);
    } finally {
      await page.context.close();
      await guarded.close();
    }
  });
});
