import { Controller, Get } from '@nestjs/common';
import { DataPlaneRegistry } from './data-plane-registry.service';

@Controller('clustering')
export class ClusteringController {
  constructor(private readonly registry: DataPlaneRegistry) {}

  /** Every data plane that ever connected to any replica, with its sync state. */
  @Get('data-planes')
  async dataPlanes() {
    return { data: await this.registry.list(), next: null };
  }
}
