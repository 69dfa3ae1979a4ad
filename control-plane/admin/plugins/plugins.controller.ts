import { Controller, Get } from '@nestjs/common';
import {
  consumerEntity,
  consumerGroupEntity,
  pluginEntity,
  routeEntity,
  serviceEntity,
} from '../../../shared/entities';
import { PLUGIN_LIST } from '../../../shared/plugins/registry';
import { CollectionController } from '../common/collection.controller';
import { EntityStore } from '../common/entity-store.service';
import { NestedCollectionController } from '../common/nested-collection.controller';

@Controller('plugins')
export class PluginsController extends CollectionController {
  constructor(store: EntityStore) {
    super(store, pluginEntity);
  }

  @Get('enabled')
  enabled() {
    return { enabled_plugins: PLUGIN_LIST.map((p) => p.name).sort() };
  }
}

@Controller('services/:parent/plugins')
export class ServicePluginsController extends NestedCollectionController {
  constructor(store: EntityStore) {
    super(store, serviceEntity, pluginEntity, 'service');
  }
}

@Controller('routes/:parent/plugins')
export class RoutePluginsController extends NestedCollectionController {
  constructor(store: EntityStore) {
    super(store, routeEntity, pluginEntity, 'route');
  }
}

@Controller('consumers/:parent/plugins')
export class ConsumerPluginsController extends NestedCollectionController {
  constructor(store: EntityStore) {
    super(store, consumerEntity, pluginEntity, 'consumer');
  }
}

@Controller('consumer_groups/:parent/plugins')
export class ConsumerGroupPluginsController extends NestedCollectionController {
  constructor(store: EntityStore) {
    super(store, consumerGroupEntity, pluginEntity, 'consumer_group');
  }
}
