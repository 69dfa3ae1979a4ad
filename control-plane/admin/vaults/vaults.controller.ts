import { Controller } from '@nestjs/common';
import { vaultEntity } from '../../../shared/entities';
import { CollectionController } from '../common/collection.controller';
import { EntityStore } from '../common/entity-store.service';

/** Kong's `/vaults`, addressed by id or prefix. */
@Controller('vaults')
export class VaultsController extends CollectionController {
  constructor(store: EntityStore) {
    super(store, vaultEntity);
  }
}
