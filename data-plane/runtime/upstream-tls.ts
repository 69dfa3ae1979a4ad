/**
 * What a service's upstream connections present and trust, compiled once per snapshot: its
 * `client_certificate` (else its upstream's, as Kong falls back) and its `ca_certificates`.
 * `key` is a digest of the material, so connections with different (or rotated) TLS material
 * never share a pool.
 */
import { createHash } from 'node:crypto';
import type { SnapshotConfig } from '../../shared/snapshot';
import type { CertificateTable } from './certificates';

export interface UpstreamTls {
  key: string;
  cert?: string;
  privateKey?: string;
  ca?: string[];
}

export function upstreamTlsOf(config: SnapshotConfig, table: CertificateTable): Map<string, UpstreamTls> {
  const upstreamCert = new Map(
    (config.upstreams ?? []).map((u) => [u.name.toLowerCase(), u.client_certificate?.id ?? null]),
  );
  const out = new Map<string, UpstreamTls>();
  for (const s of config.services) {
    const where = `service ${s.name ?? s.id}`;
    const certId = s.client_certificate?.id ?? upstreamCert.get(s.host.toLowerCase()) ?? null;
    const client = table.clientCertificate(certId, where);
    const ca = table.caBundle(s.ca_certificates, where);
    if (!client && !ca) continue;
    out.set(s.id, {
      key: createHash('sha256')
        .update(JSON.stringify([client?.cert, client?.key, ca]))
        .digest('hex')
        .slice(0, 16),
      cert: client?.cert,
      privateKey: client?.key,
      ca,
    });
  }
  return out;
}
