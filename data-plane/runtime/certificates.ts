/**
 * A snapshot's certificates compiled for serving: a TLS context per certificate for the proxy's
 * TLS listener, chosen by SNI (exact name, then `*.suffix`, then `prefix.*`, as Kong matches),
 * and the PEMs upstream connections use — a client certificate (mTLS) and the CA certificates a
 * service trusts. Keys that are vault references are resolved here, on the data plane.
 */
import { createSecureContext, type SecureContext } from 'node:tls';
import type { SnapshotConfig } from '../../shared/snapshot';
import { ApplyError } from './entity';
import type { VaultResolver } from './vault';

export interface ClientCertificate {
  id: string;
  cert: string;
  key: string;
}

export class CertificateTable {
  private readonly exact = new Map<string, SecureContext>();
  private readonly leading: [string, SecureContext][] = [];
  private readonly trailing: [string, SecureContext][] = [];
  private readonly pairs = new Map<string, ClientCertificate>();
  private readonly cas = new Map<string, string>();

  constructor(config: SnapshotConfig, vaults: VaultResolver) {
    const contexts = new Map<string, SecureContext>();
    for (const c of config.certificates ?? []) {
      const where = `certificate ${c.id}`;
      const cert = vaults.resolve(c.cert, where);
      const key = vaults.resolve(c.key, where);
      const certAlt = c.cert_alt ? vaults.resolve(c.cert_alt, where) : null;
      const keyAlt = c.key_alt ? vaults.resolve(c.key_alt, where) : null;
      try {
        const pem = certAlt && keyAlt ? { cert: [cert, certAlt], key: [key, keyAlt] } : { cert, key };
        contexts.set(c.id, createSecureContext(pem));
      } catch (err) {
        throw new ApplyError(`${where}: ${(err as Error).message}`);
      }
      this.pairs.set(c.id, { id: c.id, cert, key });
    }
    for (const s of config.snis ?? []) {
      const ctx = contexts.get(s.certificate.id);
      if (!ctx) continue;
      const name = s.name.toLowerCase();
      if (name.startsWith('*.')) this.leading.push([name.slice(1), ctx]);
      else if (name.endsWith('.*')) this.trailing.push([name.slice(0, -1), ctx]);
      else this.exact.set(name, ctx);
    }
    // The longest wildcard match wins.
    this.leading.sort((a, b) => b[0].length - a[0].length);
    this.trailing.sort((a, b) => b[0].length - a[0].length);
    for (const ca of config.ca_certificates ?? []) this.cas.set(ca.id, ca.cert);
  }

  /** The context for a TLS client's server name, or undefined (the listener's default). */
  forServerName(servername: string): SecureContext | undefined {
    const name = servername.toLowerCase();
    const hit = this.exact.get(name);
    if (hit) return hit;
    for (const [suffix, ctx] of this.leading) if (name.endsWith(suffix)) return ctx;
    for (const [prefix, ctx] of this.trailing) if (name.startsWith(prefix)) return ctx;
    return undefined;
  }

  clientCertificate(id: string | null | undefined, where: string): ClientCertificate | undefined {
    if (!id) return undefined;
    const pair = this.pairs.get(id);
    if (!pair) throw new ApplyError(`${where}: client certificate ${id} does not exist`);
    return pair;
  }

  /** The CA PEMs a service trusts; an unknown one is an apply error (never a silent skip). */
  caBundle(ids: string[] | null | undefined, where: string): string[] | undefined {
    if (!ids?.length) return undefined;
    return ids.map((id) => {
      const pem = this.cas.get(id);
      if (!pem) throw new ApplyError(`${where}: CA certificate ${id} does not exist`);
      return pem;
    });
  }
}
