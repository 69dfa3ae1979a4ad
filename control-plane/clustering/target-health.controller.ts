import { Controller, HttpCode, Param, Put } from '@nestjs/common';
import { EntityStore } from '../admin/common/entity-store.service';
import { KongHttpError } from '../admin/common/kong-http-error';
import { findTarget } from '../admin/upstreams/find-target';
import { formatHostPort, parseHostPort } from '../../shared/entities/host-port';
import { ClusterServer } from './cluster-server.service';
import { TargetHealthView } from '../admin/upstreams/target-health.view';

/**
 * Kong's `PUT /upstreams/{u}/targets/{t}[/{address}]/healthy|unhealthy`: every connected data
 * plane sets the health of every address the target resolved to, or of the one `{address}`
 * (`ip[:port]`, port 8000 when left out, as Kong's), and its health checks may change it again,
 * as Kong's do. Which addresses a target has is each data plane's DNS answer: an address no
 * connected data plane reports for the target is refused (Kong: 400), as Kong refuses one its
 * balancer does not have.
 */
@Controller('upstreams/:upstream/targets/:target')
export class TargetHealthController {
  constructor(
    private readonly store: EntityStore,
    private readonly cluster: ClusterServer,
    private readonly health: TargetHealthView,
  ) {}

  private async mark(upstreamKey: string, key: string, healthy: boolean, address?: string) {
    const { upstream, target } = await findTarget(this.store, upstreamKey, key);
    let normalized: string | undefined;
    if (address !== undefined) {
      const a = parseHostPort(decodeURIComponent(address));
      if (!a || a.type === 'name')
        throw new KongHttpError(400, { message: `invalid address '${address}': expected ip[:port]` });
      normalized = formatHostPort(a, 8000);
      const known = await this.health.reportedAddresses(upstream.id, target.target);
      if (known && !known.has(normalized))
        throw new KongHttpError(400, {
          message: `address ${normalized} is not one of target ${target.target}`,
        });
    }
    this.cluster.broadcast({
      type: 'set_target_health',
      upstream_id: upstream.id,
      target: target.target,
      healthy,
      ...(normalized ? { address: normalized } : {}),
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
