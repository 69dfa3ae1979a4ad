/**
 * Kong's `certificates`: a certificate and its private key (and an alternative pair of another
 * key type), served on the TLS listener for its SNIs or presented to upstreams as a client
 * certificate. `snis` is transient as in Kong: written as SNI entities, read back as names.
 */
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { Id, Nullable, Referenceable, Rec, Tags, Timestamp } from '../schema/kong-types';
import type { FieldError } from '../schema/validator';
import { ENTITY_CHECK } from '../errors';
import type { EntityDefinition } from './definition';
import { isReference, keyMatches, parseCertificate, parseKey } from './pem';
import { WildcardHost, wildcardHostError } from './wildcard-host';

const certificateSchema = Rec(
  {
    id: Id(),
    created_at: Timestamp(),
    updated_at: Timestamp(),
    cert: Referenceable(),
    key: Referenceable({ encrypted: true }),
    cert_alt: Nullable(Referenceable()),
    key_alt: Nullable(Referenceable({ encrypted: true })),
    tags: Tags(),
    snis: Nullable(Type.Array(WildcardHost()), false),
  },
  { required: ['cert', 'key'] },
);

/** One pair: each parses, and the key is the certificate's. */
function checkPair(e: Record<string, any>, certField: string, keyField: string, what: string): FieldError[] {
  const errors: FieldError[] = [];
  const certPem = e[certField];
  const keyPem = e[keyField];
  if (certPem == null || keyPem == null) return errors;
  const cert = isReference(certPem) ? {} : parseCertificate(certPem);
  const key = isReference(keyPem) ? {} : parseKey(keyPem);
  if (cert.error) errors.push({ path: [certField], message: cert.error });
  if (key.error) errors.push({ path: [keyField], message: key.error });
  if (cert.cert && key.key && !keyMatches(cert.cert, key.key))
    errors.push({ path: [ENTITY_CHECK], message: `${what} does not match key` });
  return errors;
}

function checkCertificate(e: Record<string, any>): FieldError[] {
  const errors: FieldError[] = [];
  if ((e.cert_alt == null) !== (e.key_alt == null))
    errors.push({
      path: [ENTITY_CHECK],
      message: "all or none of these fields must be set: 'cert_alt', 'key_alt'",
    });
  errors.push(...checkPair(e, 'cert', 'key', 'certificate'));
  errors.push(...checkPair(e, 'cert_alt', 'key_alt', 'alternative certificate'));
  if (typeof e.cert_alt === 'string' && !isReference(e.cert) && !isReference(e.cert_alt)) {
    const a = parseCertificate(e.cert).cert;
    const b = parseCertificate(e.cert_alt).cert;
    if (a && b && a.publicKey.asymmetricKeyType === b.publicKey.asymmetricKeyType)
      errors.push({
        path: [ENTITY_CHECK],
        message:
          'certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), the provided certificates were both of the same type',
      });
  }
  (e.snis ?? []).forEach((name: string, i: number) => {
    const problem = wildcardHostError(name);
    if (problem) errors.push({ path: ['snis', i], message: problem });
  });
  return errors;
}

export type Certificate = Static<typeof certificateSchema>;
export const certificateEntity: EntityDefinition = {
  name: 'certificates',
  singular: 'certificate',
  schema: certificateSchema,
  unique: [],
  foreignKeys: [],
  check: checkCertificate,
  secretFields: ['key', 'key_alt'],
};
