import { Controller } from '@nestjs/common';
import { keyEntity, keySetEntity } from '../../../shared/entities';
import { CollectionController } from '../common/collection.controller';
import { EntityStore } from '../common/entity-store.service';
import { NestedCollectionController } from '../common/nested-collection.controller';

/** Kong's `/keys` and `/key-sets` (and a set's keys under `/key-sets/{s}/keys`). */
@Controller('keys')
export class KeysController extends CollectionController {
  constructor(store: EntityStore) {
    super(store, keyEntity);
  }
}

@Controller('key-sets')
export class KeySetsController extends CollectionController {
  constructor(store: EntityStore) {
    super(store, keySetEntity);
  }
}

@Controller('key-sets/:parent/keys')
export class KeySetKeysController extends NestedCollectionController {
  constructor(store: EntityStore) {
    super(store, keySetEntity, keyEntity, 'set');
  }
}
