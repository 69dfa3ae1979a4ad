import { Controller, Get, Param, Query } from '@nestjs/common';
import { upstreamEntity } from '../../../shared/entities';
import { CollectionController } from '../common/collection.controller';
import { EntityStore } from '../common/entity-store.service';
import { TargetHealthView } from './target-health.view';

@Controller('upstreams')
export class UpstreamsController extends CollectionController {
  constructor(
    store: EntityStore,
    private readonly health: TargetHealthView,
  ) {
    super(store, upstreamEntity);
  }

  /**
   * Kong's `/upstreams/{u}/health`: each target with its health as the data planes report it
   * (`?balancer_health=1`: the upstream's own). Kong answers for its one node; a control plane
   * answers for the fleet: a target is UNHEALTHY when any connected data plane finds it so,
   * and `data.nodes` says which.
   */
  @Get(':key/health')
  async targetsHealth(@Param('key') key: string, @Query('balancer_health') balancer: string | undefined) {
    const upstream = await this.store.findOrThrow(upstreamEntity, key);
    return balancer === '1' ? this.health.upstream(upstream) : this.health.targets(upstream);
  }
}
