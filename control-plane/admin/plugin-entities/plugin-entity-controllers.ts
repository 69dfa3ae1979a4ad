/**
 * Admin API routes of the entities plugins own, derived from their definitions (Kong's
 * admin_api_name and admin_api_nested_name): `/key-auths`, `/key-auths/{key}/consumer` and
 * `/consumers/{c}/key-auth` for key-auth; the same for every plugin entity.
 */
import { Controller, Get, Param, type Type } from '@nestjs/common';
import { ENTITIES, PLUGIN_ENTITIES, type EntityDefinition } from '../../../shared/entities';
import { CollectionController } from '../common/collection.controller';
import { EntityStore } from '../common/entity-store.service';
import { NestedCollectionController } from '../common/nested-collection.controller';

function controllersFor(def: EntityDefinition): Type[] {
  if (!def.adminApiName) return [];
  const fk = def.foreignKeys.find((f) => f.field === def.nestedUnder);
  const parentDef = fk ? ENTITIES.get(fk.references) : undefined;
  if (!fk || !parentDef) {
    @Controller(def.adminApiName)
    class TopLevel extends CollectionController {
      constructor(store: EntityStore) {
        super(store, def);
      }
    }
    return [TopLevel];
  }

  @Controller(def.adminApiName)
  class TopLevel extends CollectionController {
    constructor(store: EntityStore) {
      super(store, def);
    }

    /** The parent of one child (`/key-auths/{key}/consumer`). */
    @Get(`:key/${fk!.field}`)
    async parent(@Param('key') key: string) {
      const child = await this.store.findOrThrow(def, key);
      return this.store.findOrThrow(parentDef!, child[fk!.field].id);
    }
  }

  @Controller(`${parentDef.name}/:parent/${def.adminApiNestedName ?? def.adminApiName}`)
  class Nested extends NestedCollectionController {
    constructor(store: EntityStore) {
      super(store, parentDef!, def, fk!.field);
    }
  }
  return [TopLevel, Nested];
}

export const PLUGIN_ENTITY_CONTROLLERS: Type[] = PLUGIN_ENTITIES.flatMap(controllersFor);
