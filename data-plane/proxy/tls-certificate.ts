/**
 * The proxy's TLS certificate: TOLLGATE_PROXY_SSL_CERT/_KEY (PEM files) when given, otherwise a
 * self-signed one generated on first start and kept in the data dir.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ensurePrivateDir, writePrivateFile } from '../../shared/private-files';
import { join } from 'node:path';

export interface TlsMaterial {
  cert: string;
  key: string;
  selfSigned: boolean;
}

export async function loadOrCreateCertificate(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TlsMaterial> {
  if (env.TOLLGATE_PROXY_SSL_CERT && env.TOLLGATE_PROXY_SSL_KEY) {
    return {
      cert: readFileSync(env.TOLLGATE_PROXY_SSL_CERT, 'utf8'),
      key: readFileSync(env.TOLLGATE_PROXY_SSL_KEY, 'utf8'),
      selfSigned: false,
    };
  }
  const dir = join(dataDir, 'tls');
  const certFile = join(dir, 'proxy-selfsigned.crt');
  const keyFile = join(dir, 'proxy-selfsigned.key');
  if (existsSync(certFile) && existsSync(keyFile)) {
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), selfSigned: true };
  }
  const selfsigned = require('selfsigned');
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    days: 3650,
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  ensurePrivateDir(dir);
  writePrivateFile(keyFile, pems.private);
  writePrivateFile(certFile, pems.cert);
  return { cert: pems.cert, key: pems.private, selfSigned: true };
}
