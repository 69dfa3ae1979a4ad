import { Controller } from '@nestjs/common';
import { consumerEntity } from '../../../shared/entities';
import { CollectionController } from '../common/collection.controller';
import { EntityStore } from '../common/entity-store.service';

@Controller('consumers')
export class ConsumersController extends CollectionController {
  constructor(store: EntityStore) {
    super(store, consumerEntity);
  }
}
