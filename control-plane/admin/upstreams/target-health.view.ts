import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HEARTBEAT_TIMEOUT_MS, type TargetHealthReport } from '../../../shared/cluster/protocol';
import { NODE_ID } from '../../node-id';
import type { Entity } from '../common/entity-store.service';
import { parseHostPort } from '../../../shared/entities/host-port';

type Health = 'HEALTHY' | 'UNHEALTHY' | 'HEALTHCHECKS_OFF' | 'DNS_ERROR';

/** One connected data plane's report for one upstream. */
interface NodeReport {
  node: string;
  report: TargetHealthReport['upstreams'][string];
}

/**
 * The fleet's view of an upstream's health, from what each connected data plane reports on the
 * cluster link (kept in `clustering_data_planes.target_health`, shared by every replica).
 */
@Injectable()
export class TargetHealthView {
  constructor(
    private readonly db: DataSource,
    @Inject(NODE_ID) private readonly nodeId: string,
  ) {}

  private async reports(upstreamId: string): Promise<NodeReport[]> {
    const since = Math.floor((Date.now() - HEARTBEAT_TIMEOUT_MS) / 1000);
    const rows = await this.db.query(
      'SELECT id, target_health FROM clustering_data_planes WHERE last_seen >= $1 AND target_health IS NOT NULL ORDER BY id',
      [since],
    );
    return rows
      .map((r: any) => ({
        node: r.id,
        report: (r.target_health as TargetHealthReport['upstreams'])[upstreamId],
      }))
      .filter((r: NodeReport) => r.report);
  }

  async targets(upstream: Entity) {
    const reports = await this.reports(upstream.id);
    const targets: Entity[] = (
      await this.db.query('SELECT doc FROM targets WHERE upstream_id = $1 ORDER BY id', [upstream.id])
    ).map((r: any) => r.doc);
    const data = targets.map((t) => {
      const nodes = reports
        .filter((r) => r.report.targets[t.target])
        .map((r) => ({ node_id: r.node, health: r.report.targets[t.target] as Health }));
      const address = parseHostPort(t.target);
      const health: Health = !nodes.length
        ? 'HEALTHCHECKS_OFF'
        : nodes.some((n) => n.health === 'UNHEALTHY')
          ? 'UNHEALTHY'
          : nodes.every((n) => n.health === 'HEALTHCHECKS_OFF')
            ? 'HEALTHCHECKS_OFF'
            : 'HEALTHY';
      return {
        ...t,
        health,
        data: { addresses: [{ ip: address?.host, port: address?.port, health, weight: t.weight }], nodes },
      };
    });
    return { data, next: null, node_id: this.nodeId };
  }

  async upstream(upstream: Entity) {
    const reports = await this.reports(upstream.id);
    const healthy = reports.every((r) => r.report.healthy);
    const checked = reports.some((r) => r.report.checked);
    const balancer = healthy ? 'HEALTHY' : 'UNHEALTHY';
    return {
      data: {
        id: upstream.id,
        health: checked ? balancer : 'HEALTHCHECKS_OFF',
        balancer_health: balancer,
        details: { nodes: reports.map((r) => ({ node_id: r.node, healthy: r.report.healthy })) },
      },
      next: null,
      node_id: this.nodeId,
    };
  }
}
