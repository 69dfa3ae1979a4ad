/**
 * A private CA and certificates it signs, made with the openssl CLI (Debian's), for the TLS
 * tests: what an internal MCP server and the gateway's client certificate look like.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pem {
  cert: string;
  key: string;
}

function openssl(args: string[], cwd: string) {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

export function makeCa(name = 'Tollgate Test CA'): Pem & { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pki-'));
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '30',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=keyCertSign,cRLSign',
    ],
    dir,
  );
  return {
    dir,
    cert: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    key: readFileSync(join(dir, 'ca.key'), 'utf8'),
  };
}

/** A leaf certificate for `cn` (and `dns` names) signed by `ca`; `ec` for an ECDSA key. */
export function issue(ca: { dir: string }, cn: string, dns: string[] = [cn], ec = false): Pem {
  const dir = ca.dir;
  const base = `${cn.replace(/[^a-z0-9]/gi, '_')}-${ec ? 'ec' : 'rsa'}`;
  const keyArgs = ec
    ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']
    : ['-newkey', 'rsa:2048'];
  openssl(
    ['req', ...keyArgs, '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${cn}`],
    dir,
  );
  writeFileSync(
    join(dir, `${base}.ext`),
    `subjectAltName=${dns.map((d) => `DNS:${d}`).join(',')}\nextendedKeyUsage=serverAuth,clientAuth\n`,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${base}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${base}.crt`,
      '-days',
      '30',
      '-extfile',
      `${base}.ext`,
    ],
    dir,
  );
  return {
    cert: readFileSync(join(dir, `${base}.crt`), 'utf8'),
    key: readFileSync(join(dir, `${base}.key`), 'utf8'),
  };
}
