import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Entities are stored as their validated JSON document (`doc`) plus the columns the database
 * must enforce: ids, unique keys, foreign keys (with Kong's cascade rules) and tags.
 */
export class InitialSchema1763800000000 implements MigrationInterface {
  name = 'InitialSchema1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE config_state (
        id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        version bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO config_state (id, version) VALUES (1, 0)`);

    const common = `
      id uuid PRIMARY KEY,
      created_at bigint NOT NULL,
      updated_at bigint NOT NULL,
      tags text[],
      doc jsonb NOT NULL`;

    await q.query(`CREATE TABLE services (${common},
      name text CONSTRAINT services_name_unique UNIQUE)`);
    await q.query(`CREATE TABLE routes (${common},
      name text CONSTRAINT routes_name_unique UNIQUE,
      service_id uuid REFERENCES services (id) ON DELETE RESTRICT)`);
    await q.query(`CREATE TABLE consumers (${common},
      username text CONSTRAINT consumers_username_unique UNIQUE,
      custom_id text CONSTRAINT consumers_custom_id_unique UNIQUE)`);
    await q.query(`CREATE TABLE consumer_groups (${common},
      name text NOT NULL CONSTRAINT consumer_groups_name_unique UNIQUE)`);
    await q.query(`CREATE TABLE consumer_group_consumers (
      consumer_group_id uuid NOT NULL REFERENCES consumer_groups (id) ON DELETE CASCADE,
      consumer_id uuid NOT NULL REFERENCES consumers (id) ON DELETE CASCADE,
      created_at bigint NOT NULL,
      PRIMARY KEY (consumer_group_id, consumer_id))`);
    await q.query(
      `CREATE INDEX consumer_group_consumers_consumer_idx ON consumer_group_consumers (consumer_id)`,
    );
    await q.query(`CREATE TABLE plugins (${common},
      name text NOT NULL,
      instance_name text CONSTRAINT plugins_instance_name_unique UNIQUE,
      cache_key text NOT NULL CONSTRAINT plugins_cache_key_unique UNIQUE,
      service_id uuid REFERENCES services (id) ON DELETE CASCADE,
      route_id uuid REFERENCES routes (id) ON DELETE CASCADE,
      consumer_id uuid REFERENCES consumers (id) ON DELETE CASCADE,
      consumer_group_id uuid REFERENCES consumer_groups (id) ON DELETE CASCADE)`);
    // keyauth_credentials: key-auth's own migration (plugins/key-auth/control-plane/).

    for (const t of ['services', 'routes', 'consumers', 'consumer_groups', 'plugins']) {
      await q.query(`CREATE INDEX ${t}_tags_idx ON ${t} USING gin (tags)`);
    }
    await q.query(`CREATE INDEX routes_service_idx ON routes (service_id)`);
    await q.query(`CREATE INDEX plugins_service_idx ON plugins (service_id)`);
    await q.query(`CREATE INDEX plugins_route_idx ON plugins (route_id)`);
    await q.query(`CREATE INDEX plugins_consumer_idx ON plugins (consumer_id)`);
    await q.query(`CREATE INDEX plugins_consumer_group_idx ON plugins (consumer_group_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'plugins',
      'consumer_group_consumers',
      'consumer_groups',
      'consumers',
      'routes',
      'services',
      'config_state',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
