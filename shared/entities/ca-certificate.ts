/**
 * Kong's `ca_certificates`: one CA certificate, unique by its SHA-256 digest (computed on
 * write), that services trust when they verify an upstream (`ca_certificates`).
 */
import type { Static } from '@sinclair/typebox';
import { createHash } from 'node:crypto';
import { Id, Nullable, Rec, Str, Tags, Timestamp } from '../schema/kong-types';
import type { FieldError } from '../schema/validator';
import { ENTITY_CHECK } from '../errors';
import type { EntityDefinition } from './definition';
import { certificateCount, parseCertificate } from './pem';

const caCertificateSchema = Rec(
  {
    id: Id(),
    created_at: Timestamp(),
    updated_at: Timestamp(),
    cert: Str(),
    cert_digest: Nullable(Str()),
    tags: Tags(),
  },
  { required: ['cert'] },
);

function checkCaCertificate(e: Record<string, any>): FieldError[] {
  const parsed = parseCertificate(e.cert);
  if (!parsed.cert) return [{ path: ['cert'], message: parsed.error! }];
  const entity = (message: string): FieldError[] => [{ path: [ENTITY_CHECK], message }];
  if (certificateCount(e.cert) > 1) return entity('please submit only one certificate at a time');
  if (new Date(parsed.cert.validTo).getTime() < Date.now())
    return entity('certificate expired, "Not After" time is in the past');
  if (!parsed.cert.ca)
    return entity('certificate does not appear to be a CA because it is missing the "CA" basic constraint');
  return [];
}

export type CaCertificate = Static<typeof caCertificateSchema>;
export const caCertificateEntity: EntityDefinition = {
  name: 'ca_certificates',
  singular: 'ca_certificate',
  schema: caCertificateSchema,
  unique: ['cert_digest'],
  foreignKeys: [],
  check: checkCaCertificate,
  // Kong's on_write transformation: the digest of the certificate's DER.
  onWrite: (e) => {
    const cert = parseCertificate(e.cert).cert!;
    e.cert_digest = createHash('sha256').update(cert.raw).digest('hex');
  },
  // A file leaves the digest out (the control plane computes it).
  sameAsStored: (target, stored) =>
    target.cert === stored.cert ? { ...target, cert_digest: stored.cert_digest } : target,
};
