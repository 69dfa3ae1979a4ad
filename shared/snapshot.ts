/**
 * The effective configuration at one version: what the control plane serves at `GET /config`
 * and pushes to data planes. Entities are Kong-shaped (foreign keys as `{id}`), sorted by id.
 */
import { canonicalJson, sha256Hex } from './canonical-json';

export const SNAPSHOT_FORMAT_VERSION = '3.0';

export interface SnapshotConfig {
  _format_version: string;
  services: Record<string, any>[];
  routes: Record<string, any>[];
  consumers: Record<string, any>[];
  consumer_groups: Record<string, any>[];
  consumer_group_consumers: { consumer_group: { id: string }; consumer: { id: string } }[];
  plugins: Record<string, any>[];
  keyauth_credentials: Record<string, any>[];
}

export interface Snapshot {
  version: number;
  /** sha256 of the canonical JSON of `config`; equal configs have equal hashes at any version. */
  hash: string;
  config: SnapshotConfig;
}

export function hashConfig(config: SnapshotConfig): { canonical: string; hash: string } {
  const canonical = canonicalJson(config);
  return { canonical, hash: sha256Hex(canonical) };
}
