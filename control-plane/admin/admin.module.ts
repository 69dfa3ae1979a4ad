import { Module } from '@nestjs/common';
import { SnapshotsModule } from '../snapshots/snapshots.module';
import { EntityStore } from './common/entity-store.service';
import { RequestCounter } from './common/request-counter';
import { RouteTable } from './common/route-table';
import { ServicesController } from './services/services.controller';
import { RoutesController, ServiceRoutesController } from './routes/routes.controller';
import { ConsumersController } from './consumers/consumers.controller';
import {
  ConsumerConsumerGroupsController,
  ConsumerGroupsController,
} from './consumer-groups/consumer-groups.controller';
import { MembershipService } from './consumer-groups/membership.service';
import {
  ConsumerGroupPluginsController,
  ConsumerPluginsController,
  PluginsController,
  RoutePluginsController,
  ServicePluginsController,
} from './plugins/plugins.controller';
import { PLUGIN_ENTITY_CONTROLLERS } from './plugin-entities/plugin-entity-controllers';
import { SchemasController } from './schemas/schemas.controller';
import { NodeController } from './node/node.controller';
import { TagsController } from './tags/tags.controller';
import { BatchController } from './batch/batch.controller';
import { PluginRequirementsCheck } from './plugins/plugin-requirements.check';
import { BatchService } from './batch/batch.service';
import { UpstreamsController } from './upstreams/upstreams.controller';
import { TargetsController } from './upstreams/targets.controller';
import { TargetHealthView } from './upstreams/target-health.view';
import {
  CaCertificatesController,
  CertificateSnisController,
  CertificatesController,
  SnisController,
} from './certificates/certificates.controller';
import { VaultsController } from './vaults/vaults.controller';
import { KeySetKeysController, KeySetsController, KeysController } from './keys/keys.controller';

@Module({
  imports: [SnapshotsModule],
  controllers: [
    NodeController,
    ServicesController,
    ServiceRoutesController,
    RoutesController,
    ConsumersController,
    ConsumerConsumerGroupsController,
    ConsumerGroupsController,
    PluginsController,
    ServicePluginsController,
    RoutePluginsController,
    ConsumerPluginsController,
    ConsumerGroupPluginsController,
    UpstreamsController,
    TargetsController,
    CertificatesController,
    CertificateSnisController,
    SnisController,
    CaCertificatesController,
    VaultsController,
    KeysController,
    KeySetsController,
    KeySetKeysController,
    ...PLUGIN_ENTITY_CONTROLLERS,
    SchemasController,
    TagsController,
    BatchController,
  ],
  providers: [
    EntityStore,
    MembershipService,
    RequestCounter,
    RouteTable,
    BatchService,
    PluginRequirementsCheck,
    TargetHealthView,
  ],
  exports: [EntityStore, RequestCounter, RouteTable, TargetHealthView],
})
export class AdminModule {}
