import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Kong's certificates, their SNIs (unique names, gone with their certificate) and CA
 * certificates (unique by digest); services and upstreams reference a client certificate,
 * which cannot be deleted while they do.
 */
export class Certificates1763800000008 implements MigrationInterface {
  name = 'Certificates1763800000008';

  async up(q: QueryRunner): Promise<void> {
    const common = `
      id uuid PRIMARY KEY,
      created_at bigint NOT NULL,
      updated_at bigint NOT NULL,
      tags text[],
      doc jsonb NOT NULL`;
    await q.query(`CREATE TABLE certificates (${common})`);
    await q.query(`CREATE TABLE snis (${common},
      name text NOT NULL CONSTRAINT snis_name_unique UNIQUE,
      certificate_id uuid NOT NULL REFERENCES certificates (id) ON DELETE CASCADE)`);
    await q.query(`CREATE TABLE ca_certificates (${common},
      cert_digest text CONSTRAINT ca_certificates_cert_digest_unique UNIQUE)`);
    for (const t of ['certificates', 'snis', 'ca_certificates'])
      await q.query(`CREATE INDEX ${t}_tags_idx ON ${t} USING gin (tags)`);
    await q.query('CREATE INDEX snis_certificate_idx ON snis (certificate_id)');
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
