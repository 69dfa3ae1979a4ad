import type { SnapshotConfig } from '../../shared/snapshot';

export const EMPTY_CONFIG: SnapshotConfig = {
  _format_version: '3.0',
  services: [],
  routes: [],
  consumers: [],
  consumer_groups: [],
  consumer_group_consumers: [],
  plugins: [],
  keyauth_credentials: [],
};
