import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mustCreate, startStack, type Stack } from '../helpers/stack';

let s: Stack;
let upstream: Server;

before(async () => {
  const selfsigned = require('selfsigned');
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    days: 1,
    keySize: 2048,
  });
  upstream = createServer({ cert: pems.cert, key: pems.private }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"tls":true}');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  s = await startStack();
});
after(async () => {
  await s?.close();
  upstream?.close();
});

test('https upstreams: tls_verify refuses an untrusted certificate; unset or false accepts it', async () => {
  const port = (upstream.address() as AddressInfo).port;
  await mustCreate(s.api, '/services', {
    name: 'tls-verify',
    url: `https://127.0.0.1:${port}`,
    tls_verify: true,
    retries: 0,
  });
  await mustCreate(s.api, '/services/tls-verify/routes', { name: 'tls-verify', paths: ['/verify'] });
  await mustCreate(s.api, '/services', { name: 'tls-trust', url: `https://127.0.0.1:${port}` });
  await mustCreate(s.api, '/services/tls-trust/routes', { name: 'tls-trust', paths: ['/trust'] });
  await s.synced();
  const refused = await fetch(`${s.dp.proxyUrl}/verify`);
  assert.equal(refused.status, 502);
  const trusted = await fetch(`${s.dp.proxyUrl}/trust`);
  assert.equal(trusted.status, 200);
  assert.deepEqual(await trusted.json(), { tls: true });
});
