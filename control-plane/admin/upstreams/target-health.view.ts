import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HEARTBEAT_TIMEOUT_MS, type TargetHealthReport } from '../../../shared/cluster/protocol';
import { NODE_ID } from '../../node-id';
import type { Entity } from '../common/entity-store.service';
import { formatHostPort, parseHostPort } from '../../../shared/entities/host-port';
import { mergeAddressLists, targetHealthOf, type HealthName } from '../../../shared/cluster/address-health';

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
    return { data: targets.map((t) => targetWithHealth(t, reports)), next: null, node_id: this.nodeId };
  }

  /** The addresses connected data planes report for a target (`ip:port`), or null: none report. */
  async reportedAddresses(upstreamId: string, target: string): Promise<Set<string> | null> {
    const reports = (await this.reports(upstreamId)).filter((r) => r.report.targets[target]);
    if (!reports.length) return null;
    const own = parseHostPort(target);
    const out = new Set<string>();
    for (const r of reports) {
      const list = r.report.addresses?.[target]?.list;
      if (!list) {
        if (own && own.type !== 'name') out.add(formatHostPort(own, 8000));
        continue;
      }
      for (const a of list)
        out.add(formatHostPort({ type: a.ip.includes(':') ? 'ipv6' : 'ipv4', host: a.ip }, a.port));
    }
    return out;
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

/**
 * One target as Kong's `/health` shows it: its health from its addresses over every reporting
 * node, and `data` with the addresses (merged: UNHEALTHY wins), the record type they came from,
 * the weights and each node's own view. A node that sends no addresses (older than DNS
 * expansion) stands for the target's own address.
 */
function targetWithHealth(t: Entity, reports: NodeReport[]) {
  const seen = reports.filter((r) => r.report.targets[t.target]);
  const nodes = seen.map((r) => ({ node_id: r.node, health: r.report.targets[t.target] as HealthName }));
  const own = parseHostPort(t.target);
  const lists = seen.map(
    (r) =>
      r.report.addresses?.[t.target]?.list ?? [
        {
          ip: own?.host ?? '',
          port: own?.port ?? 8000,
          weight: t.weight,
          health: r.report.targets[t.target],
        },
      ],
  );
  const addresses = mergeAddressLists(lists);
  const health: HealthName = !seen.length ? 'HEALTHCHECKS_OFF' : targetHealthOf(addresses);
  const dns = seen.map((r) => r.report.addresses?.[t.target]?.dns).find((d) => d && d !== 'DNS_ERROR');
  const total = addresses.reduce((n, a) => n + a.weight, 0);
  const unavailable = addresses.reduce((n, a) => n + (a.health === 'UNHEALTHY' ? a.weight : 0), 0);
  return {
    ...t,
    health,
    data: {
      host: own?.host,
      port: own?.port,
      dns: dns ?? (seen.length && !addresses.length ? 'DNS_ERROR' : own?.type === 'name' ? undefined : 'IP'),
      nodeWeight: t.weight,
      weight: { total, available: total - unavailable, unavailable },
      addresses,
      nodes,
    },
  };
}
