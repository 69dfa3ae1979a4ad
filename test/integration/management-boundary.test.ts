/**
 * The management plane is part of the boundary: every listener (Admin API, console, cluster,
 * status) answers only the names it serves, the Admin API takes no browser page it was not told
 * to trust, and a body is read only as what its Content-Type says. Driven over raw HTTP here
 * (any Host, any Origin); `test/browser/foreign-page.test.ts` drives the same from Chromium.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import WebSocket from 'ws';
import { startStack, type Stack } from '../helpers/stack';

let s: Stack;

before(async () => {
  s = await startStack({ controlPlane: { consoleListen: { host: '127.0.0.1', port: 0 } } });
});
after(async () => s?.close());

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A request with exactly these headers (Host included): what a rebinding page or curl sends. */
function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body?: string,
): Promise<RawReply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, headers, setHost: !('Host' in headers) },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const listeners = () => ({
  admin: s.cp.url,
  console: s.cp.cp.consoleUrl!,
  status: s.dp.statusUrl,
  cluster: s.cp.cp.clusterUrl.replace(/^ws/, 'http'),
});

describe('every listener checks Host', () => {
  test('a non-loopback name is 421 on the Admin API, console, status and cluster listeners', async () => {
    for (const [name, base] of Object.entries(listeners())) {
      const port = new URL(base).port;
      for (const host of [`evil.example:${port}`, 'evil.example', '127.0.0.1.evil.example', '10.0.0.1']) {
        const r = await send(base, 'GET', '/', { Host: host });
        assert.equal(r.status, 421, `${name} ${host}`);
        assert.match(JSON.parse(r.text).message, /^Misdirected request/, name);
      }
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'LOCALHOST.'])
        assert.notEqual((await send(base, 'GET', '/', { Host: host })).status, 421, `${name} ${host}`);
    }
  });

  test('the Admin API refuses the name before it authenticates or reads a body', async () => {
    const body = JSON.stringify({ username: 'rebound' });
    const r = await send(
      s.cp.url,
      'POST',
      '/consumers',
      { Host: 'evil.example', 'content-type': 'application/json', 'content-length': String(body.length) },
      body,
    );
    assert.equal(r.status, 421);
    assert.equal((await s.api('GET', '/consumers/rebound')).status, 404);
  });

  test('the cluster listener refuses a rebinding name and any browser before the token', async () => {
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${s.cp.cp.clusterUrl}/v1/outlet?node_id=${randomUUID()}`, { headers });
        ws.on('upgrade', () => (resolve(101), ws.close()));
        ws.on('unexpected-response', (_q, res) => (resolve(res.statusCode ?? 0), ws.terminate()));
        ws.on('error', () => undefined);
      });
    assert.equal(await status({ Host: 'evil.example' }), 421);
    assert.equal(await status({ Origin: 'http://evil.example' }), 403);
    assert.equal(await status({ Origin: `http://127.0.0.1:${new URL(s.cp.url).port}` }), 403);
    assert.equal(await status({ 'Sec-Fetch-Site': 'cross-site' }), 403);
  });
});

describe('the Admin API never trusts a browser by accident', () => {
  test('a foreign Origin or a cross-site fetch is refused whatever the method; the console is allowed', async () => {
    const consolePort = new URL(s.cp.cp.consoleUrl!).port;
    for (const headers of [
      { Origin: 'http://evil.example' },
      { Origin: 'null' },
      { Origin: 'http://127.0.0.1:1' },
      { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'no-cors' },
      { 'Sec-Fetch-Site': 'same-site' },
      { Origin: [`http://127.0.0.1:${consolePort}`, 'http://evil.example'] },
    ] as Record<string, string | string[]>[]) {
      for (const method of ['GET', 'OPTIONS', 'POST', 'PUT', 'DELETE']) {
        const body = method === 'POST' || method === 'PUT' ? 'username=planted' : undefined;
        const r = await send(
          s.cp.url,
          method,
          method === 'PUT' ? '/consumers/planted' : '/consumers',
          {
            ...headers,
            ...(body
              ? {
                  'content-type': 'application/x-www-form-urlencoded',
                  'content-length': String(body.length),
                }
              : {}),
          },
          body,
        );
        assert.equal(r.status, 403, `${method} ${JSON.stringify(headers)}`);
        assert.equal(r.headers['access-control-allow-origin'], undefined);
      }
    }
    assert.equal((await s.api('GET', '/consumers/planted')).status, 404);
    for (const origin of [`http://127.0.0.1:${consolePort}`, `http://localhost:${consolePort}`]) {
      const r = await send(s.cp.url, 'GET', '/consumers', { Origin: origin, 'Sec-Fetch-Site': 'same-site' });
      assert.equal(r.status, 200, origin);
      assert.equal(r.headers['access-control-allow-origin'], origin);
      assert.equal(r.headers['access-control-allow-credentials'], 'true');
    }
  });

  test('a body is read only as its Content-Type says: text/plain or none is never JSON (415)', async () => {
    const json = JSON.stringify({ username: 'sneaky' });
    for (const type of [
      'text/plain',
      'text/plain;charset=UTF-8',
      'multipart/form-data; boundary=x',
      undefined,
    ]) {
      const r = await send(
        s.cp.url,
        'POST',
        '/consumers',
        { ...(type ? { 'content-type': type } : {}), 'content-length': String(json.length) },
        json,
      );
      assert.equal(r.status, 415, String(type));
      assert.deepEqual(JSON.parse(r.text), { message: 'Unsupported Media Type' });
    }
    assert.equal((await s.api('GET', '/consumers/sneaky')).status, 404);
    // `curl -d` (a form body, no Origin) and JSON with its type keep working.
    const form = 'username=from-curl';
    const viaForm = await send(
      s.cp.url,
      'POST',
      '/consumers',
      { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(form.length) },
      form,
    );
    assert.equal(viaForm.status, 201, viaForm.text);
    assert.equal((await s.api('POST', '/consumers', { username: 'from-json' })).status, 201);
    // An empty POST with no type stays an empty object (Kong), e.g. a bodiless action.
    const empty = await send(s.cp.url, 'POST', '/consumers', {});
    assert.equal(empty.status, 400, empty.text);
    assert.match(empty.text, /schema violation/);
  });
});
