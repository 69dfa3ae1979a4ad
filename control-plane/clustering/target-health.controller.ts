import { Controller, HttpCode, Param, Put } from '@nestjs/common';
import { EntityStore } from '../admin/common/entity-store.service';
import { KongHttpError } from '../admin/common/kong-http-error';
import { findTarget } from '../admin/upstreams/find-target';
import { parseHostPort } from '../../shared/entities/host-port';
import { ClusterServer } from './cluster-server.service';

/**
 * Kong's `PUT /upstreams/{u}/targets/{t}[/{address}]/healthy|unhealthy`: every connected data
 * plane sets the target's health (its health checks may change it again, as Kong's do). A data
 * plane resolves a target to one address, so `{address}` must be the target's own.
 */
@Controller('upstreams/:upstream/targets/:target')
export class TargetHealthController {
  constructor(
    private readonly store: EntityStore,
    private readonly cluster: ClusterServer,
  ) {}

  private async mark(upstreamKey: string, key: string, healthy: boolean, address?: string) {
    const { upstream, target } = await findTarget(this.store, upstreamKey, key);
    if (address !== undefined) {
      const a = parseHostPort(decodeURIComponent(address));
      const t = parseHostPort(target.target);
      if (!a || !t || a.host !== t.host || (a.port ?? 8000) !== t.port)
        throw new KongHttpError(400, { message: `address ${address} is not one of target ${target.target}` });
    }
    this.cluster.broadcast({
      type: 'set_target_health',
      upstream_id: upstream.id,
      target: target.target,
      healthy,
    });
  }

  @Put('healthy')
  @HttpCode(204)
  healthy(@Param('upstream') u: string, @Param('target') t: string) {
    return this.mark(u, t, true);
  }

  @Put('unhealthy')
  @HttpCode(204)
  unhealthy(@Param('upstream') u: string, @Param('target') t: string) {
    return this.mark(u, t, false);
  }

  @Put(':address/healthy')
  @HttpCode(204)
  addressHealthy(@Param('upstream') u: string, @Param('target') t: string, @Param('address') a: string) {
    return this.mark(u, t, true, a);
  }

  @Put(':address/unhealthy')
  @HttpCode(204)
  addressUnhealthy(@Param('upstream') u: string, @Param('target') t: string, @Param('address') a: string) {
    return this.mark(u, t, false, a);
  }
}
