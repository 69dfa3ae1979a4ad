import { Controller } from '@nestjs/common';
import { serviceEntity } from '../../../shared/entities';
import { CollectionController } from '../common/collection.controller';
import { EntityStore } from '../common/entity-store.service';

@Controller('services')
export class ServicesController extends CollectionController {
  constructor(store: EntityStore) {
    super(store, serviceEntity);
  }
}
