import type { EntityDefinition } from './definition';
import { serviceEntity } from './service';
import { routeEntity } from './route';
import { consumerEntity } from './consumer';
import { consumerGroupEntity } from './consumer-group';
import { pluginEntity } from './plugin';
import { keyauthCredentialEntity } from './keyauth-credential';

export type { EntityDefinition, ForeignKey } from './definition';
export {
  serviceEntity,
  routeEntity,
  consumerEntity,
  consumerGroupEntity,
  pluginEntity,
  keyauthCredentialEntity,
};

/** Every entity, in dependency order (parents before children). */
export const ENTITY_LIST: EntityDefinition[] = [
  serviceEntity,
  routeEntity,
  consumerEntity,
  consumerGroupEntity,
  pluginEntity,
  keyauthCredentialEntity,
];

export const ENTITIES = new Map(ENTITY_LIST.map((e) => [e.name, e]));
