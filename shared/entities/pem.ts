/**
 * The PEM checks of Kong's certificate entities (typedefs.certificate / typedefs.key and the
 * certificates' and ca_certificates' entity checks), with node:crypto's parsers. A value that is
 * a vault reference is checked where it is resolved (the data plane), not here.
 */
import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

export const isReference = (v: unknown) => typeof v === 'string' && v.startsWith('{vault://');

export function parseCertificate(pem: string): { cert?: X509Certificate; error?: string } {
  try {
    return { cert: new X509Certificate(pem) };
  } catch (err) {
    return { error: `invalid certificate: ${(err as Error).message}` };
  }
}

export function parseKey(pem: string): { key?: KeyObject; error?: string } {
  try {
    return { key: createPrivateKey(pem) };
  } catch (err) {
    return { error: `invalid key: ${(err as Error).message}` };
  }
}

/** The key pairs with the certificate (Kong compares the public keys). */
export function keyMatches(cert: X509Certificate, key: KeyObject): boolean {
  const fromKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return cert.publicKey.export({ type: 'spki', format: 'der' }).equals(fromKey);
}

export function certificateCount(pem: string): number {
  return pem.split('-----BEGIN CERTIFICATE-----').length - 1;
}
