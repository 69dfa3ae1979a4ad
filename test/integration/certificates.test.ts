/**
 * Kong's certificates, SNIs and CA certificates, as a Kong user drives them: the Admin API
 * (Kong's checks and messages, transient `snis`, a certificate addressed by its SNI), the TLS
 * listener serving the certificate of each SNI, mTLS to an internal upstream with a private CA,
 * and a decK file with certificates (sync, clean diff, dump; keys never printed).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mustCreate, sendThrough, startStack, type Stack } from '../helpers/stack';
import { issue, makeCa, type Pem } from '../helpers/pki';
import { runTollgate } from '../helpers/process';
import { deckEnv, syncCleanly } from '../helpers/deck';

let s: Stack;
let ca: ReturnType<typeof makeCa>;
let other: ReturnType<typeof makeCa>;
let internal: Server;
let listenerCert: Pem;
let clientCert: Pem;

before(async () => {
  ca = makeCa();
  other = makeCa('Some Other CA');
  listenerCert = issue(ca, 'tools.example.test', ['tools.example.test', '*.tools.example.test']);
  clientCert = issue(ca, 'tollgate-gateway');
  const serverCert = issue(ca, 'localhost');
  // An internal MCP server: TLS with the private CA's certificate, and only clients it signed.
  internal = createServer(
    { ...serverCert, ca: ca.cert, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ client: peer.subject?.CN }));
    },
  );
  await new Promise<void>((r) => internal.listen(0, '127.0.0.1', () => r()));
  s = await startStack({ ssl: true });
});
after(async () => {
  internal?.close();
  internal?.closeAllConnections();
  await s?.close();
});

test('Kong’s checks: a key must match its certificate, a CA certificate must be a CA, once', async () => {
  const mismatch = await s.api('POST', '/certificates', { cert: listenerCert.cert, key: clientCert.key });
  assert.equal(mismatch.status, 400);
  assert.deepEqual(mismatch.body.fields['@entity'], ['certificate does not match key']);
  const garbage = await s.api('POST', '/certificates', { cert: 'not a pem', key: clientCert.key });
  assert.match(garbage.body.fields.cert, /^invalid certificate: /);
  const leaf = await s.api('POST', '/ca_certificates', { cert: clientCert.cert });
  assert.deepEqual(leaf.body.fields['@entity'], [
    'certificate does not appear to be a CA because it is missing the "CA" basic constraint',
  ]);
  const created = await mustCreate(s.api, '/ca_certificates', { cert: ca.cert });
  assert.equal(
    created.cert_digest,
    new X509Certificate(ca.cert).fingerprint256.replace(/:/g, '').toLowerCase(),
  );
  const again = await s.api('POST', '/ca_certificates', { cert: ca.cert });
  assert.equal(again.status, 409);
  assert.equal((await s.api('DELETE', `/ca_certificates/${created.id}`)).status, 204);
  const badSni = await s.api('POST', '/certificates', { ...listenerCert, snis: ['a.*.b'] });
  assert.equal(badSni.status, 400);
});

function served(servername: string): Promise<PeerCertificate> {
  const url = new URL(s.dp.proxySslUrl!);
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: url.hostname, port: Number(url.port), servername, rejectUnauthorized: false },
      () => {
        resolve(socket.getPeerCertificate());
        socket.end();
      },
    );
    socket.on('error', reject);
  });
}

test('the TLS listener serves each SNI’s certificate, the default one otherwise', async () => {
  const cert = await mustCreate(s.api, '/certificates', {
    ...listenerCert,
    snis: ['tools.example.test', '*.tools.example.test'],
  });
  assert.deepEqual(cert.snis, ['*.tools.example.test', 'tools.example.test']);
  assert.equal(
    (await s.api('GET', '/certificates/tools.example.test')).body.id,
    cert.id,
    'addressed by its SNI',
  );
  assert.equal((await s.api('GET', `/certificates/${cert.id}/snis`)).body.data.length, 2);
  await s.synced();
  const fingerprint = new X509Certificate(listenerCert.cert).fingerprint256;
  assert.equal((await served('tools.example.test')).fingerprint256, fingerprint);
  assert.equal((await served('mcp.tools.example.test')).fingerprint256, fingerprint, 'wildcard SNI');
  assert.notEqual((await served('localhost')).fingerprint256, fingerprint, 'no SNI of it: the default');
  // The SNI set is replaced on PATCH; the certificate goes with its SNIs.
  const patched = await s.api('PATCH', `/certificates/${cert.id}`, { snis: ['tools.example.test'] });
  assert.deepEqual(patched.body.snis, ['tools.example.test']);
  assert.equal((await s.api('DELETE', `/certificates/${cert.id}`)).status, 204);
  assert.equal((await s.api('GET', '/snis')).body.data.length, 0);
});

test('mTLS to an internal upstream: the private CA verifies it, the client certificate opens it', async () => {
  const port = (internal.address() as AddressInfo).port;
  const caId = (await mustCreate(s.api, '/ca_certificates', { cert: ca.cert })).id;
  const otherCaId = (await mustCreate(s.api, '/ca_certificates', { cert: other.cert })).id;
  const client = await mustCreate(s.api, '/certificates', clientCert);
  const service = async (name: string, fields: Record<string, unknown>) => {
    await mustCreate(s.api, '/services', {
      name,
      url: `https://localhost:${port}/`,
      tls_verify: true,
      ...fields,
    });
    await mustCreate(s.api, `/services/${name}/routes`, { name, paths: [`/${name}`] });
  };
  await service('mtls', { ca_certificates: [caId], client_certificate: { id: client.id } });
  await service('no-client-cert', { ca_certificates: [caId] });
  await service('wrong-ca', { ca_certificates: [otherCaId], client_certificate: { id: client.id } });
  await s.synced();
  const ok = await sendThrough(s.dp.proxyUrl, '/mtls');
  assert.equal(ok.status, 200, ok.body);
  assert.equal(ok.json.client, 'tollgate-gateway', 'the upstream saw the gateway’s client certificate');
  assert.equal((await sendThrough(s.dp.proxyUrl, '/no-client-cert')).status, 502);
  assert.equal(
    (await sendThrough(s.dp.proxyUrl, '/wrong-ca')).status,
    502,
    'an untrusted upstream is refused',
  );
  const inUse = await s.api('DELETE', `/certificates/${client.id}`);
  assert.equal(inUse.status, 400, 'a certificate services use cannot go');
});

test('decK: certificates with SNIs and CA certificates round-trip; keys are never printed', async () => {
  const indent = (pem: string, n: number) =>
    pem
      .trim()
      .split('\n')
      .join(`\n${' '.repeat(n)}`);
  const cert = issue(ca, 'deck.example.test');
  const { dir, stdout } = await syncCleanly(s, [
    '_format_version: "3.0"',
    '_info: { select_tags: [tls] }',
    'certificates:',
    '  - cert: |',
    `      ${indent(cert.cert, 6)}`,
    '    key: |',
    `      ${indent(cert.key, 6)}`,
    '    snis:',
    '      - name: deck.example.test',
  ]);
  assert.match(stdout, /creating certificate /);
  assert.match(stdout, /creating sni deck\.example\.test for certificate /);
  assert.doesNotMatch(stdout, /PRIVATE KEY/);
  const dump = await runTollgate(['dump', '--select-tag', 'tls', '-o', join(dir, 'dump.yaml')], {
    env: deckEnv(s),
  });
  assert.equal(dump.code, 0, dump.stderr);
  const text = readFileSync(join(dir, 'dump.yaml'), 'utf8');
  assert.match(text, /certificates:\n/);
  assert.match(text, /snis:\n\s+- name: deck\.example\.test/);
  const again = await runTollgate(['diff', join(dir, 'dump.yaml'), '--non-zero-exit-code'], {
    env: deckEnv(s),
  });
  assert.equal(again.code, 0, again.stdout + again.stderr);
});
