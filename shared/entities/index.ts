import type { EntityDefinition } from './definition';
import { serviceEntity } from './service';
import { routeEntity } from './route';
import { consumerEntity } from './consumer';
import { consumerGroupEntity } from './consumer-group';
import { pluginEntity } from './plugin';
import { upstreamEntity } from './upstream';
import { targetEntity } from './target';
import { certificateEntity } from './certificate';
import { sniEntity } from './sni';
import { caCertificateEntity } from './ca-certificate';
import { vaultEntity } from './vault';
import { keySetEntity } from './key-set';
import { keyEntity } from './key';
import { PLUGIN_LIST } from '../plugins/registry';

export type { EntityDefinition, ForeignKey } from './definition';
export {
  serviceEntity,
  routeEntity,
  consumerEntity,
  consumerGroupEntity,
  pluginEntity,
  upstreamEntity,
  targetEntity,
  certificateEntity,
  sniEntity,
  caCertificateEntity,
  vaultEntity,
  keySetEntity,
  keyEntity,
};

/** The core entities, in dependency order (parents before children). */
const CORE_ENTITIES: EntityDefinition[] = [
  vaultEntity,
  keySetEntity,
  keyEntity,
  certificateEntity,
  sniEntity,
  caCertificateEntity,
  serviceEntity,
  routeEntity,
  consumerEntity,
  consumerGroupEntity,
  pluginEntity,
  upstreamEntity,
  targetEntity,
];

/** Entities plugins own (their `daos.ts`): key-auth's and basic-auth's credentials. */
export const PLUGIN_ENTITIES: EntityDefinition[] = PLUGIN_LIST.flatMap((p) => p.entities ?? []);

/** Every entity, in dependency order (parents before children). */
export const ENTITY_LIST: EntityDefinition[] = [...CORE_ENTITIES, ...PLUGIN_ENTITIES];

export const ENTITIES = new Map(ENTITY_LIST.map((e) => [e.name, e]));

/** An entity by its table name or Kong's Admin API names (`key-auths`, `key-auth`). */
export function entityByAnyName(name: string): EntityDefinition | undefined {
  return (
    ENTITIES.get(name) ?? ENTITY_LIST.find((e) => e.adminApiName === name || e.adminApiNestedName === name)
  );
}
