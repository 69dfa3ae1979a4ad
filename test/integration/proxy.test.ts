import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mustCreate, sendThrough, startStack, type Stack } from '../helpers/stack';
import { startEchoUpstream } from '../helpers/topology';

let s: Stack;
let echo: Awaited<ReturnType<typeof startEchoUpstream>>;

before(async () => {
  s = await startStack();
  echo = await startEchoUpstream();
});
after(async () => {
  await s?.close();
  await echo?.close();
});

/** Send through the data plane with an explicit Host header. */
const send = (path: string, opts: Parameters<typeof sendThrough>[2] = {}) =>
  sendThrough(s.dp.proxyUrl, path, opts);

describe('routing matrix', () => {
  before(async () => {
    await mustCreate(s.api, '/services', { name: 'echo', url: `${echo.url}/base` });
    await mustCreate(s.api, '/services', { name: 'echo-root', url: echo.url });
    await mustCreate(s.api, '/services/echo/routes', { name: 'prefix', paths: ['/api'] });
    await mustCreate(s.api, '/services/echo/routes', {
      name: 'prefix-keep',
      paths: ['/keep'],
      strip_path: false,
    });
    await mustCreate(s.api, '/services/echo/routes', {
      name: 'regex',
      paths: ['~/items/(?<id>\\d+)$'],
      regex_priority: 5,
    });
    await mustCreate(s.api, '/services/echo-root/routes', {
      name: 'host',
      hosts: ['api.example.com'],
      paths: ['/api'],
    });
    await mustCreate(s.api, '/services/echo-root/routes', { name: 'wild', hosts: ['*.wild.test'] });
    await mustCreate(s.api, '/services/echo-root/routes', {
      name: 'post-only',
      paths: ['/m'],
      methods: ['POST'],
    });
    await mustCreate(s.api, '/services/echo-root/routes', {
      name: 'preserve',
      paths: ['/preserve'],
      preserve_host: true,
    });
    await mustCreate(s.api, '/services/echo-root/routes', {
      name: 'by-header',
      paths: ['/hdr'],
      headers: { 'x-version': ['v2'] },
    });
    await s.synced();
  });

  const cases: [string, Parameters<typeof send>[1], number, string | null][] = [
    ['/api/users?x=1', {}, 200, '/base/users?x=1'],
    ['/api', {}, 200, '/base'],
    ['/apiary', {}, 200, '/base/ary'],
    ['/keep/a', {}, 200, '/base/keep/a'],
    ['/items/42', {}, 200, '/base'],
    ['/items/abc', {}, 404, null],
    ['/api/x', { host: 'api.example.com' }, 200, '/x'],
    ['/anything', { host: 'a.wild.test' }, 200, '/anything'],
    ['/m', { method: 'POST' }, 200, '/'],
    ['/m', { method: 'GET' }, 404, null],
    ['/hdr/1', { headers: { 'x-version': 'v2' } }, 200, '/1'],
    ['/hdr/1', { headers: { 'x-version': 'v1' } }, 404, null],
    ['/nowhere', {}, 404, null],
  ];
  for (const [path, opts, status, upstreamPath] of cases) {
    test(`${opts?.method ?? 'GET'} ${opts?.host ?? 'gw.test'}${path} → ${status}${upstreamPath ? ` ${upstreamPath}` : ''}`, async () => {
      const r = await send(path, opts);
      assert.equal(r.status, status, r.body);
      if (upstreamPath) assert.equal(r.json.url, upstreamPath);
      if (status === 404) {
        assert.equal(r.json.message, 'no Route matched with those values');
        assert.match(r.json.request_id, /^[0-9a-f-]{36}$/);
      }
    });
  }

  test('preserve_host, X-Forwarded-*, hop-by-hop headers', async () => {
    const kept = await send('/preserve', {
      host: 'client.example.com:8000',
      headers: { connection: 'x-drop', 'x-drop': '1', te: 'trailers' },
    });
    assert.equal(kept.json.headers.host, 'client.example.com:8000');
    assert.equal(kept.json.headers['x-drop'], undefined);
    assert.equal(kept.json.headers.te, undefined);
    assert.equal(kept.json.headers['x-forwarded-host'], 'client.example.com');
    assert.equal(kept.json.headers['x-forwarded-proto'], 'http');
    assert.equal(kept.json.headers['x-forwarded-for'], '127.0.0.1');
    const replaced = await send('/api/z', { host: 'client.example.com' });
    assert.equal(replaced.json.headers.host, `127.0.0.1:${echo.port}`);
    assert.equal(replaced.json.headers['x-forwarded-prefix'], '/api');
  });
});

describe('upstream failures', () => {
  const resets: Record<string, number> = {};
  let slow: Server;
  let slowPort: number;
  let sawClose: Promise<void>;
  before(async () => {
    let closed!: () => void;
    sawClose = new Promise((r) => (closed = r));
    slow = createServer((req, res) => {
      if (req.url?.startsWith('/hang')) return; // never answers
      if (req.url?.startsWith('/reset')) {
        resets[req.method!] = (resets[req.method!] ?? 0) + 1;
        req.resume();
        req.on('end', () => req.socket.destroy()); // read the request, then drop the connection
        return;
      }
      if (req.url?.startsWith('/drip')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const t = setInterval(() => res.write('.'), 50);
        req.on('close', () => {
          clearInterval(t);
          closed();
        });
      }
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    slowPort = (slow.address() as AddressInfo).port;
    await mustCreate(s.api, '/services', {
      name: 'slow',
      url: `http://127.0.0.1:${slowPort}`,
      read_timeout: 300,
    });
    await mustCreate(s.api, '/services/slow/routes', {
      name: 'slow',
      paths: ['/slow'],
      response_buffering: false,
    });
    await mustCreate(s.api, '/services', { name: 'refused', url: 'http://127.0.0.1:1', retries: 1 });
    await mustCreate(s.api, '/services/refused/routes', { name: 'refused', paths: ['/refused'] });
    await s.synced();
  });
  after(() => {
    slow.closeAllConnections();
    slow.close();
  });

  test('upstream timeout → 504 with Kong body', async () => {
    const r = await send('/slow/hang');
    assert.equal(r.status, 504);
    assert.equal(r.json.message, 'The upstream server is timing out');
    assert.equal(r.headers['x-tollgate-request-id'], r.json.request_id);
  });

  test('connection refused → 502 with Kong body', async () => {
    const r = await send('/refused');
    assert.equal(r.status, 502);
    assert.equal(r.json.message, 'An invalid response was received from the upstream server');
  });

  test('a dropped connection is retried for GET, never for POST', async () => {
    assert.equal(
      (
        await send('/slow/reset', {
          method: 'POST',
          body: '{"x":1}',
          headers: { 'content-type': 'application/json' },
        })
      ).status,
      502,
    );
    assert.equal(resets.POST, 1, 'a POST is sent once');
    assert.equal((await send('/slow/reset')).status, 502);
    assert.equal(resets.GET, 6, 'a GET is tried 1 + retries (5) times');
  });

  test('Expect: 100-continue is answered by the gateway and the body goes through', async () => {
    const url = new URL(s.dp.proxyUrl);
    const r = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: '/api/upload',
          method: 'POST',
          headers: { host: 'gw.test', expect: '100-continue', 'content-length': 5 },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }),
          );
        },
      );
      req.on('continue', () => req.end('hello'));
      req.on('error', reject);
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.body, 'hello');
    assert.equal(r.body.headers.expect, undefined);
  });

  test('a client that disconnects cancels the upstream request', async () => {
    const url = new URL(s.dp.proxyUrl);
    await new Promise<void>((resolve, reject) => {
      setTimeout(() => reject(new Error('no data from the data plane')), 5000);
      const req = httpRequest({ host: url.hostname, port: url.port, path: '/slow/drip' }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.end();
    });
    await Promise.race([
      sawClose,
      new Promise((_, rej) => setTimeout(() => rej(new Error('upstream never saw the close')), 3000)),
    ]);
  });
});

describe('server-sent events', () => {
  let sse: Server;
  before(async () => {
    sse = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      let n = 0;
      const t = setInterval(() => {
        res.write(`id: ${n}\ndata: {"n":${n},"at":${Date.now()}}\n\n`);
        if (++n === 5) {
          clearInterval(t);
          res.end();
        }
      }, 150);
    });
    await new Promise<void>((r) => sse.listen(0, '127.0.0.1', () => r()));
    const port = (sse.address() as AddressInfo).port;
    await mustCreate(s.api, '/services', { name: 'sse', url: `http://127.0.0.1:${port}` });
    // Default route settings (response_buffering true): event streams are never held back.
    await mustCreate(s.api, '/services/sse/routes', { name: 'sse', paths: ['/sse'] });
    await s.synced();
  });
  after(() => sse.close());

  test('events arrive one by one, with their timing', async () => {
    const res = await fetch(`${s.dp.proxyUrl}/sse`, { headers: { host: 'gw.test' } });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const reader = res.body!.getReader();
    const arrivals: { n: number; sentAt: number; gotAt: number }[] = [];
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += Buffer.from(value).toString('utf8');
      let i;
      while ((i = buf.indexOf('\n\n')) !== -1) {
        const event = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = JSON.parse(/data: (.*)/.exec(event)![1]);
        arrivals.push({ n: data.n, sentAt: data.at, gotAt: Date.now() });
      }
    }
    assert.deepEqual(
      arrivals.map((a) => a.n),
      [0, 1, 2, 3, 4],
    );
    for (const a of arrivals)
      assert.ok(a.gotAt - a.sentAt < 100, `event ${a.n} was held back ${a.gotAt - a.sentAt} ms`);
    // spacing preserved: the stream took as long as the upstream took to produce it
    assert.ok(arrivals[4].gotAt - arrivals[0].gotAt >= 450);
  });
});
