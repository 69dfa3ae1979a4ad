import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createEntityTable } from './entity-table';

/**
 * Kong's certificates, their SNIs (unique names, gone with their certificate) and CA
 * certificates (unique by digest); services and upstreams reference a client certificate,
 * which cannot be deleted while they do.
 */
export class Certificates1763800000008 implements MigrationInterface {
  name = 'Certificates1763800000008';

  async up(q: QueryRunner): Promise<void> {
    await createEntityTable(q, 'certificates', []);
    await createEntityTable(
      q,
      'snis',
      [
        'name text NOT NULL CONSTRAINT snis_name_unique UNIQUE',
        'certificate_id uuid NOT NULL REFERENCES certificates (id) ON DELETE CASCADE',
      ],
      { certificate: 'certificate_id' },
    );
    await createEntityTable(q, 'ca_certificates', [
      'cert_digest text CONSTRAINT ca_certificates_cert_digest_unique UNIQUE',
    ]);
    for (const t of ['services', 'upstreams']) {
      await q.query(
        `ALTER TABLE ${t} ADD COLUMN client_certificate_id uuid REFERENCES certificates (id) ON DELETE RESTRICT`,
      );
      await q.query(`CREATE INDEX ${t}_client_certificate_idx ON ${t} (client_certificate_id)`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['services', 'upstreams'])
      await q.query(`ALTER TABLE ${t} DROP COLUMN client_certificate_id`);
    for (const t of ['ca_certificates', 'snis', 'certificates']) await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
