/**
 * The effective configuration at one version: what the control plane serves at `GET /config`
 * and pushes to data planes. Entities are Kong-shaped (foreign keys as `{id}`), sorted by id.
 */
import { canonicalJson, sha256Hex } from './canonical-json';
import type { Service } from './entities/service';
import type { Route } from './entities/route';
import type { Consumer } from './entities/consumer';
import type { ConsumerGroup } from './entities/consumer-group';
import type { PluginEntity } from './entities/plugin';
import type { Upstream } from './entities/upstream';
import type { Target } from './entities/target';
import type { Certificate } from './entities/certificate';
import type { Sni } from './entities/sni';
import type { CaCertificate } from './entities/ca-certificate';
import type { Vault } from './entities/vault';
import type { KeySet } from './entities/key-set';
import type { Key } from './entities/key';

export const SNAPSHOT_FORMAT_VERSION = '3.0';

export interface SnapshotConfig {
  _format_version: string;
  services: Service[];
  routes: Route[];
  consumers: Consumer[];
  consumer_groups: ConsumerGroup[];
  consumer_group_consumers: { consumer_group: { id: string }; consumer: { id: string } }[];
  plugins: PluginEntity[];
  upstreams: Upstream[];
  targets: Target[];
  certificates: Certificate[];
  snis: Sni[];
  ca_certificates: CaCertificate[];
  vaults: Vault[];
  key_sets: KeySet[];
  keys: Key[];
  /** Entities plugins own, by table name (`keyauth_credentials`, `basicauth_credentials`). */
  [pluginEntity: string]: any;
}

export interface Snapshot {
  version: number;
  /** sha256 of the canonical JSON of `config`; equal configs have equal hashes at any version. */
  hash: string;
  config: SnapshotConfig;
  /** The canonical JSON of `config`, when at hand (saves re-serialising it). */
  canonical?: string;
}

export function hashConfig(config: SnapshotConfig): { canonical: string; hash: string } {
  const canonical = canonicalJson(config);
  return { canonical, hash: sha256Hex(canonical) };
}

/**
 * The snapshot as bytes: `{"version":V,"hash":"H","config":<canonical config>}` (optionally with a
 * leading `"type":"snapshot",`). Receivers verify the hash over the config's bytes as sent,
 * without re-serialising (which costs more than parsing on large configs).
 */
export function encodeSnapshotText(version: number, hash: string, canonical: string, type = false): string {
  return `{${type ? '"type":"snapshot",' : ''}"version":${version},"hash":"${hash}","config":${canonical}}`;
}

const SNAPSHOT_PREFIX = /^\{(?:"type":"snapshot",)?"version":(\d+),"hash":"([0-9a-f]{64})","config":/;

export function decodeSnapshotText(text: string): Snapshot & { canonical: string } {
  const m = SNAPSHOT_PREFIX.exec(text);
  if (!m || !text.endsWith('}')) throw new Error('not a snapshot');
  const canonical = text.slice(m[0].length, -1);
  const hash = sha256Hex(canonical);
  if (hash !== m[2]) throw new Error('checksum mismatch: the content does not match its hash');
  const config = JSON.parse(canonical) as SnapshotConfig;
  if (!config || typeof config !== 'object' || !Array.isArray(config.services))
    throw new Error('not a config');
  return { version: Number(m[1]), hash, config, canonical };
}
