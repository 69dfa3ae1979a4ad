/**
 * Targets as configured and the addresses they stand for. A target naming an IP is its own
 * one address; a hostname stands for what DNS answers (dns/resolved-names.ts): each A or AAAA
 * address at the target's port and weight, each SRV entry at its own port and weight. Each
 * address is balanced and health-checked on its own, as Kong's are.
 */
import { isIP } from 'node:net';
import type { SnapshotConfig } from '../../shared/snapshot';
import { formatHostPort, parseHostPort } from '../../shared/entities/host-port';
import type { ResolvedNames } from '../dns/resolved-names';

export interface ConfiguredTarget {
  /** `host:port` as configured (Kong's target). */
  key: string;
  host: string;
  port: number;
  weight: number;
  /** A hostname (resolved through DNS), not an IP address. */
  isName: boolean;
}

/** How a target resolved: Kong's `data.dns` (A, AAAA, SRV), IP for an address, or DNS_ERROR. */
export type DnsKind = 'A' | 'AAAA' | 'SRV' | 'IP' | 'DNS_ERROR';

export interface TargetAddress {
  ip: string;
  port: number;
  weight: number;
  /** `ip:port` (IPv6 bracketed). */
  address: string;
  /** The SRV record's target name (Kong's `use_srv_name` Host). */
  srvName?: string;
}

/** The configured targets of each upstream, by upstream id. */
export function configuredTargets(config: SnapshotConfig): Map<string, ConfiguredTarget[]> {
  const out = new Map<string, ConfiguredTarget[]>();
  for (const t of config.targets ?? []) {
    const parsed = parseHostPort(t.target);
    if (!parsed || parsed.port === undefined) continue;
    const list = out.get(t.upstream.id) ?? [];
    list.push({
      key: t.target,
      host: parsed.host,
      port: parsed.port,
      weight: t.weight,
      isName: parsed.type === 'name',
    });
    out.set(t.upstream.id, list);
  }
  return out;
}

/** Every hostname the config's targets name (lower case). */
export function targetNames(config: SnapshotConfig): Set<string> {
  const names = new Set<string>();
  for (const list of configuredTargets(config).values())
    for (const t of list) if (t.isName) names.add(t.host.toLowerCase());
  return names;
}

export function addressOf(ip: string, port: number): string {
  return formatHostPort({ type: isIP(ip) === 6 ? 'ipv6' : 'ipv4', host: ip }, port);
}

export function expandTarget(
  t: ConfiguredTarget,
  names: ResolvedNames,
): { dns: DnsKind; addresses: TargetAddress[] } {
  if (!t.isName)
    return {
      dns: 'IP',
      addresses: [{ ip: t.host, port: t.port, weight: t.weight, address: addressOf(t.host, t.port) }],
    };
  const r = names.get(t.host);
  if (!r?.ok) return { dns: 'DNS_ERROR', addresses: [] };
  const addresses = r.addresses.map((a) => {
    const port = a.port || t.port;
    // A target weighing 0 is out of rotation whatever its SRV records weigh.
    const weight = t.weight === 0 ? 0 : (a.weight ?? t.weight);
    return { ip: a.ip, port, weight, address: addressOf(a.ip, port), srvName: a.srvName };
  });
  return { dns: r.type, addresses };
}
