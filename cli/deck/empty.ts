import { ENTITY_LIST } from '../../shared/entities';
import { SNAPSHOT_FORMAT_VERSION, type SnapshotConfig } from '../../shared/snapshot';

/** A config with no entities: every entity's key present and empty. */
export const EMPTY_CONFIG: SnapshotConfig = {
  _format_version: SNAPSHOT_FORMAT_VERSION,
  services: [],
  routes: [],
  consumers: [],
  consumer_groups: [],
  consumer_group_consumers: [],
  plugins: [],
  upstreams: [],
  targets: [],
  certificates: [],
  snis: [],
  ca_certificates: [],
  vaults: [],
  key_sets: [],
  keys: [],
  ...Object.fromEntries(ENTITY_LIST.map((e) => [e.name, []])),
};
