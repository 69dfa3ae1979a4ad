import { Controller, Get, Param } from '@nestjs/common';
import { consumerEntity, keyauthCredentialEntity } from '../../../shared/entities';
import { CollectionController } from '../common/collection.controller';
import { EntityStore } from '../common/entity-store.service';
import { NestedCollectionController } from '../common/nested-collection.controller';

/** `/key-auths`: every key-auth credential, addressed by id or key. */
@Controller('key-auths')
export class KeyAuthsController extends CollectionController {
  constructor(store: EntityStore) {
    super(store, keyauthCredentialEntity);
  }

  @Get(':key/consumer')
  async consumer(@Param('key') key: string) {
    const cred = await this.store.findOrThrow(keyauthCredentialEntity, key);
    return this.store.findOrThrow(consumerEntity, cred.consumer.id);
  }
}

@Controller('consumers/:parent/key-auth')
export class ConsumerKeyAuthController extends NestedCollectionController {
  constructor(store: EntityStore) {
    super(store, consumerEntity, keyauthCredentialEntity, 'consumer');
  }
}
