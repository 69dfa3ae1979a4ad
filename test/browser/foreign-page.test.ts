/**
 * An attacker's web page, open in the platform engineer's browser (real headless Chromium), on
 * the default setup: a token-less loopback Admin API, the console, a data plane. The page tries
 * what issue #28 lists — read credentials, plant a consumer with a form post or a `text/plain`
 * JSON body, approve every held tool with an empty POST, open the cluster WebSocket — and a
 * loopback-resolving foreign name (`--host-resolver-rules`) stands in for DNS rebinding. Nothing
 * may be read and nothing may change; the console itself keeps working.
 */
import { after, before, test } from '../helpers/browser-test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../helpers/browser';
import { mustCreate, startStack, type Stack } from '../helpers/stack';

const SECRET_KEY = 'alice-very-secret-key-8f2c1e';
let s: Stack;
let browser: Browser;
let attacker: Server;
let attackerPort = 0;

const port = (url: string) => new URL(url.replace(/^ws/, 'http')).port;

before(async () => {
  s = await startStack({ controlPlane: { consoleListen: { host: '127.0.0.1', port: 0 } } });
  await mustCreate(s.api, '/consumers', { username: 'alice' });
  await mustCreate(s.api, '/consumers/alice/key-auth', { key: SECRET_KEY });
  // The attacker's site: any page; served on loopback, reached by its own name.
  attacker = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>cats</title><p>cats'),
  );
  await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
  attackerPort = (attacker.address() as AddressInfo).port;
  // evil.example and its subdomains resolve to 127.0.0.1: what a rebinding DNS answer does.
  browser = await launchBrowser([
    '--host-resolver-rules=MAP evil.example 127.0.0.1, MAP *.evil.example 127.0.0.1',
  ]);
});
after(async () => {
  await browser?.close();
  await new Promise((r) => attacker?.close(r));
  await s?.close();
});

test('a page of another origin reads nothing and changes nothing', async () => {
  const page = await browser.newPage();
  await page.goto(`http://evil.example:${attackerPort}/`);
  const admin = s.cp.url;
  const results = await page.evaluate(
    async ({ admin, cluster }) => {
      const out: Record<string, string> = {};
      const attempt = async (name: string, f: () => Promise<string>) => {
        try {
          out[name] = await f();
        } catch (e) {
          out[name] = `error: ${String(e)}`;
        }
      };
      const g = globalThis as any;
      await attempt('read keys', async () =>
        (await g.fetch(`${admin}/key-auths`, { credentials: 'include' })).text(),
      );
      await attempt('read config', async () => (await g.fetch(`${admin}/config`)).text());
      await attempt('text/plain JSON', async () => {
        const r = await g.fetch(`${admin}/consumers`, {
          method: 'POST',
          mode: 'no-cors',
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ username: 'planted-json' }),
        });
        return r.type;
      });
      await attempt('open default_acl', async () => {
        const r = await g.fetch(`${admin}/plugins`, {
          method: 'POST',
          mode: 'no-cors',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'name=key-auth&config.key_names=planted',
        });
        return r.type;
      });
      await attempt('approve all', async () => {
        const r = await g.fetch(`${admin}/mcp/routes/any/tools/approve`, { method: 'POST', mode: 'no-cors' });
        return r.type;
      });
      await attempt('form post', async () => {
        const frame = g.document.createElement('iframe');
        frame.name = 'sink';
        g.document.body.appendChild(frame);
        const form = g.document.createElement('form');
        form.method = 'POST';
        form.action = `${admin}/consumers`;
        form.target = 'sink';
        const input = g.document.createElement('input');
        input.name = 'username';
        input.value = 'planted-form';
        form.appendChild(input);
        g.document.body.appendChild(form);
        const loaded = new Promise((r) => frame.addEventListener('load', r));
        form.submit();
        await Promise.race([loaded, new Promise((r) => setTimeout(r, 3000))]);
        return 'submitted';
      });
      await attempt(
        'cluster websocket',
        () =>
          new Promise((resolve) => {
            const ws = new g.WebSocket(`${cluster}/v1/outlet?node_id=00000000-0000-4000-8000-000000000000`);
            ws.onmessage = (m: any) => resolve(`message: ${String(m.data).slice(0, 200)}`);
            ws.onopen = () => setTimeout(() => resolve('open'), 1000);
            ws.onerror = () => resolve('refused');
          }),
      );
      return out;
    },
    { admin, cluster: s.cp.cp.clusterUrl },
  );
  const all = JSON.stringify(results);
  assert.ok(!all.includes(SECRET_KEY), `a credential was read: ${all}`);
  assert.match(results['read keys'], /^error: TypeError/);
  assert.match(results['read config'], /^error: TypeError/);
  assert.equal(results['cluster websocket'], 'refused');
  for (const name of ['planted-json', 'planted-form'])
    assert.equal((await s.api('GET', `/consumers/${name}`)).status, 404, name);
  const plugins = (await s.api('GET', '/plugins')).body.data;
  assert.equal(plugins.length, 0, JSON.stringify(plugins));
  await page.close();
});

test('a rebinding name reaches no listener: the page gets 421 and no data', async () => {
  const page = await browser.newPage();
  for (const [name, url] of [
    ['admin', `http://evil.example:${port(s.cp.url)}/key-auths`],
    ['admin (subdomain)', `http://127.0.0.1.evil.example:${port(s.cp.url)}/config`],
    ['console', `http://evil.example:${port(s.cp.cp.consoleUrl!)}/`],
    ['status', `http://evil.example:${port(s.dp.statusUrl)}/metrics`],
    ['cluster', `http://evil.example:${port(s.cp.cp.clusterUrl)}/v1/outlet`],
  ]) {
    const res = await page.goto(url);
    assert.equal(res?.status(), 421, name);
    const text = await page.content();
    assert.ok(!text.includes(SECRET_KEY), name);
  }
  // Same-origin on the rebound name (no Origin header at all): still the Host check.
  const sameOrigin = await page.evaluate(async () => {
    const r = await (globalThis as any).fetch('/key-auths', { method: 'GET' });
    return { status: r.status, text: await r.text() };
  });
  assert.equal(sameOrigin.status, 421);
  assert.ok(!sameOrigin.text.includes(SECRET_KEY));
  await page.close();
});

test('the console on its own origin still reads the Admin API, at 127.0.0.1 and at localhost', async () => {
  for (const host of ['127.0.0.1', 'localhost']) {
    const page = await browser.newPage();
    await page.goto(`http://${host}:${port(s.cp.cp.consoleUrl!)}/`);
    const r = await page.evaluate(async (admin) => {
      const res = await (globalThis as any).fetch(`${admin}/consumers/alice`);
      return { status: res.status, body: await res.json() };
    }, s.cp.url);
    assert.equal(r.status, 200, host);
    assert.equal(r.body.username, 'alice');
    await page.close();
  }
});
