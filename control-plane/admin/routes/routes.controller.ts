import { Controller, Get, Param } from '@nestjs/common';
import { routeEntity, serviceEntity } from '../../../shared/entities';
import { CollectionController } from '../common/collection.controller';
import { EntityStore } from '../common/entity-store.service';
import { NestedCollectionController } from '../common/nested-collection.controller';
import { notFound } from '../common/kong-http-error';

@Controller('routes')
export class RoutesController extends CollectionController {
  constructor(store: EntityStore) {
    super(store, routeEntity);
  }

  /** `/routes/{r}/service`: the service a route points at. */
  @Get(':key/service')
  async service(@Param('key') key: string) {
    const route = await this.store.findOrThrow(routeEntity, key);
    if (!route.service) throw notFound();
    return this.store.findOrThrow(serviceEntity, route.service.id);
  }
}

@Controller('services/:parent/routes')
export class ServiceRoutesController extends NestedCollectionController {
  constructor(store: EntityStore) {
    super(store, serviceEntity, routeEntity, 'service');
  }
}
