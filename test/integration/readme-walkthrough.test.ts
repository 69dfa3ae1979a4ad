/**
 * The README's quickstart, as a new user runs it: `npm start` on a fresh data directory, then
 * every command between the README's walkthrough markers, in order, with bash. Only the ports
 * are moved (to free ones, in the commands and the example files alike), so the test never
 * collides with anything else listening on this machine.
 */
import { after, test } from 'node:test';
import { test as browserTest } from '../helpers/browser-test';
import { launchBrowser, openPage } from '../helpers/browser';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnTollgate, type Spawned } from '../helpers/process';
import { adminClient } from '../helpers/http';
import { waitConverged } from '../helpers/topology';

const ROOT = join(__dirname, '..', '..', '..');
const background: ChildProcess[] = [];
let gateway: Spawned | undefined;
const work = mkdtempSync(join(tmpdir(), 'readme-walkthrough-'));
/** What the walkthrough started, for the console part that follows it. */
let started: { admin: string; console: string } | undefined;

after(async () => {
  for (const p of background) p.kill();
  await gateway?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The shell lines between `<!-- walkthrough:start -->` and `<!-- walkthrough:end -->`. */
function walkthrough(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('<!-- walkthrough:start -->'),
    readme.indexOf('<!-- walkthrough:end -->'),
  );
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(block, 'the README has its walkthrough');
  return block[1].split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
}

function run(line: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', line], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

test('the README quickstart: start, sync the example, proxy a request, the MCP client as developer and admin', async () => {
  const ports = { proxy: await freePort(), admin: await freePort(), example: await freePort() };
  const move = (text: string) =>
    text
      .replace(/(127\.0\.0\.1|localhost):8000\b/g, `127.0.0.1:${ports.proxy}`)
      .replace(/(127\.0\.0\.1|localhost):8001\b/g, `127.0.0.1:${ports.admin}`)
      .replace(/127\.0\.0\.1:3333\b/g, `127.0.0.1:${ports.example}`);
  // The commands run in the clone; the example decK file is read with its port moved.
  const quickstart = join(work, 'quickstart.yaml');
  writeFileSync(quickstart, move(readFileSync(join(ROOT, 'examples', 'quickstart.yaml'), 'utf8')));

  const env = {
    TOLLGATE_DATA_DIR: join(work, 'data'),
    TOLLGATE_PROXY_LISTEN: `127.0.0.1:${ports.proxy}`,
    TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${ports.admin}`,
    TOLLGATE_ADMIN_URL: `http://127.0.0.1:${ports.admin}`,
    TOLLGATE_CLUSTER_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_PROXY_SSL_LISTEN: `127.0.0.1:${await freePort()}`,
    TOLLGATE_CONSOLE_LISTEN: `127.0.0.1:${await freePort()}`,
    PORT: String(ports.example),
  };
  // `npm start` is `tollgate start`.
  gateway = spawnTollgate(['start'], { ...env, TOLLGATE_CP_URL: undefined, DATABASE_URL: undefined });
  await gateway.waitFor(/data plane \S+: proxy listening on/);
  assert.match(gateway.output(), /creating the embedded database/, 'the first start says what it does');

  const outputs: string[] = [];
  for (const original of walkthrough()) {
    const line = move(original).replace('examples/quickstart.yaml', quickstart);
    if (line.trim().endsWith('&')) {
      const child = spawn('bash', ['-c', line.trim().slice(0, -1)], {
        cwd: ROOT,
        env: { ...process.env, ...env },
      });
      background.push(child);
      await new Promise<void>((resolve) =>
        child.stdout!.on('data', (d) => String(d).includes('example MCP server') && resolve()),
      );
      outputs.push('');
      continue;
    }
    const r = await run(line, env);
    assert.equal(r.code, 0, `${original}\n${r.out}`);
    outputs.push(r.out);
    // The data plane runs the synced config before the next command.
    if (/tollgate(\.js)? sync/.test(original)) {
      const { hash } = (await adminClient(env.TOLLGATE_ADMIN_URL)('GET', '/config')).body;
      await waitConverged([{ statusUrl: `http://${env.TOLLGATE_STATUS_LISTEN}` }], hash);
    }
  }
  started = { admin: env.TOLLGATE_ADMIN_URL, console: `http://${env.TOLLGATE_CONSOLE_LISTEN}` };
  const [, sync, plain, add, devDelete, opsDelete, analytics] = outputs;
  assert.match(sync, /creating service example-mcp/);
  assert.match(plain, /"hello":"from the example server"/);
  assert.match(add, /^tools: echo, add\nadd: 5\n$/);
  assert.match(
    devDelete,
    /delete_everything: refused: MCP error -32602: Tool 'delete_everything' is not available for consumer group 'developer'/,
  );
  assert.match(
    opsDelete,
    /^tools: echo, add, delete_everything\ndelete_everything: everything deleted \(not really\)\n$/,
  );
  assert.match(analytics, /^TOOL\s+REQUESTS/m);
});

/**
 * "Open the console": every page of it, on what the walkthrough made, in Chromium. Each page
 * shows the walkthrough's own entities or traffic and logs no error; a screenshot of each lands
 * in artifacts/screenshots/walkthrough-*.png.
 */
browserTest('the README quickstart, then the console: every page, no console error', async () => {
  assert.ok(started, 'the walkthrough ran');
  const api = adminClient(started.admin);
  const id = async (path: string) => (await api('GET', path)).body.id as string;
  const route = await id('/routes/example-mcp');
  const consumer = await id('/consumers/dev');
  const group = await id('/consumer_groups/developer');
  const plugins = (await api('GET', `/routes/${route}/plugins`)).body.data;
  const proxy = plugins.find((p: any) => p.name === 'ai-mcp-proxy');
  const node = (await api('GET', '/clustering/data-planes')).body.data[0].id;
  const service = await id('/services/example-mcp');

  // [page, what shows it loaded (a test id, text on the page, or a row's menu), screenshot name]
  const pages: [string, { testid: string } | { text: string } | { attached: string }, string][] = [
    ['/', { testid: 'overview-denied-delete_everything' }, 'overview'],
    ['/services', { text: 'httpbin-like' }, 'services'],
    [`/services/${service}`, { text: '127.0.0.1' }, 'service'],
    ['/services/create', { testid: 'gateway-service-name-input' }, 'service-create'],
    [`/services/${service}/edit`, { testid: 'gateway-service-name-input' }, 'service-edit'],
    ['/routes', { text: 'plain' }, 'routes'],
    [`/routes/${route}`, { text: '/mcp' }, 'route'],
    ['/routes/create', { testid: 'route-form-name' }, 'route-create'],
    [`/routes/${route}/edit`, { testid: 'route-form-name' }, 'route-edit'],
    ['/consumers', { text: 'ops' }, 'consumers'],
    [`/consumers/${consumer}`, { text: 'developer' }, 'consumer'],
    ['/consumers/create', { testid: 'consumer-form-username' }, 'consumer-create'],
    [`/consumers/${consumer}/edit`, { testid: 'consumer-form-username' }, 'consumer-edit'],
    [`/consumers/${consumer}/credentials/key-auth`, { attached: 'action-entity-copy-key' }, 'credentials'],
    [
      `/consumers/${consumer}/credentials/key-auth/create`,
      { testid: 'plugin-create-form-submit' },
      'credential-create',
    ],
    ['/consumer-groups', { text: 'admin' }, 'consumer-groups'],
    [`/consumer-groups/${group}`, { text: 'dev' }, 'consumer-group'],
    ['/consumer-groups/create', { testid: 'consumer-group-form-name' }, 'consumer-group-create'],
    ['/plugins', { text: 'mcp proxy' }, 'plugins'],
    ['/plugins/select', { testid: 'key-auth-card' }, 'plugin-select'],
    [`/plugins/ai-mcp-proxy/${proxy.id}`, { text: proxy.id }, 'plugin'],
    [`/plugins/ai-mcp-proxy/${proxy.id}/edit`, { testid: 'plugin-edit-form-submit' }, 'plugin-edit'],
    ['/plugins/key-auth/create', { testid: 'plugin-create-form-submit' }, 'plugin-create'],
    ['/mcp-tools', { testid: 'decision-delete_everything-dev' }, 'mcp-tools'],
    ['/analytics', { testid: 'top-mcp_tool_name-add' }, 'analytics'],
    ['/data-planes', { testid: `data-plane-${node}` }, 'data-planes'],
  ];
  const browser = await launchBrowser();
  try {
    const w = await openPage(browser);
    for (const [hash, loaded, shot] of pages) {
      await w.page.goto('about:blank');
      await w.page.goto(`${started.console}/#${hash}`, { waitUntil: 'networkidle' });
      if ('attached' in loaded)
        await w.page
          .locator(`[data-testid="${loaded.attached}"]`)
          .first()
          .waitFor({ state: 'attached', timeout: 30_000 });
      else
        await (
          'testid' in loaded
            ? w.page.locator(`[data-testid="${loaded.testid}"]`)
            : w.page.locator('main').getByText(loaded.text, { exact: false })
        )
          .first()
          .waitFor({ timeout: 30_000 });
      await w.screenshot(`walkthrough-${shot}`);
      assert.deepEqual(w.problems.splice(0), [], `${hash}: page errors, console errors or failed requests`);
    }
    // The sidebar reaches every top-level page.
    for (const nav of [
      'services',
      'routes',
      'consumers',
      'consumer-groups',
      'plugins',
      'mcp-tools',
      'analytics',
      'data-planes',
    ])
      assert.equal(await w.page.locator(`[data-testid="sidebar-item-nav-${nav}"]`).count(), 1, nav);
  } finally {
    await browser.close();
  }
});
