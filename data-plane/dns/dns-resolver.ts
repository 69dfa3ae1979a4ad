/**
 * A hostname to the addresses a balancer spreads over, the way Kong's DNS client resolves a
 * target: the hosts file first, then the record types of `dns_order` (LAST: the type that
 * answered last time for this name), with resolv.conf's search domains. An SRV answer gives
 * each address its own port and weight (its best priority only; weight 0 counts as 1); A and
 * AAAA give the target's. A name that exists nowhere is `notFound`; a server that fails is an
 * error a cached answer can outlive (target-resolutions.ts).
 */
import { isIP } from 'node:net';
import type { Answer, SrvAnswer } from 'dns-packet';
import type { DnsOptions } from './dns-options';
import { queryDns, type DnsReply, type QueryOptions, type QueryType } from './dns-query';
import { readHostsFile, readResolvConf, type HostsEntry, type ResolvConf } from './system-files';

export interface ResolvedAddress {
  ip: string;
  /** SRV only: the record's port (0: the target's), weight and target name. */
  port?: number;
  weight?: number;
  srvName?: string;
}

export type Resolution =
  | { ok: true; type: 'A' | 'AAAA' | 'SRV'; addresses: ResolvedAddress[]; ttl: number }
  | { ok: false; notFound: boolean; error: string };

/** Hosts-file names never expire (Kong gives them ten years). */
const HOSTS_TTL = 10 * 365 * 24 * 3600;
const MAX_CNAME_DEPTH = 8;

type Found = { ok: true; type: 'A' | 'AAAA' | 'SRV'; addresses: ResolvedAddress[]; ttl: number };
type Missing = { ok: false; notFound: boolean; error: string };

export class DnsResolver {
  private readonly last = new Map<string, QueryType>();
  private readonly query: QueryOptions;
  private readonly hosts: Map<string, HostsEntry>;
  private readonly conf: ResolvConf;

  constructor(
    private readonly options: DnsOptions,
    system?: { hosts?: Map<string, HostsEntry>; conf?: ResolvConf },
  ) {
    this.hosts = system?.hosts ?? readHostsFile(options.hostsFile);
    this.conf = system?.conf ?? readResolvConf();
    this.query = {
      servers: options.resolvers ?? this.conf.nameservers,
      timeoutMs: this.conf.timeoutMs,
      attempts: this.conf.attempts,
    };
  }

  async resolve(name: string): Promise<Resolution> {
    let failure: Missing = { ok: false, notFound: true, error: `${name}: name not found` };
    for (const candidate of this.candidates(name)) {
      const r = await this.resolveName(candidate, 0);
      if (r.ok) return this.options.validTtl === null ? r : { ...r, ttl: this.options.validTtl };
      if (!r.notFound || failure.notFound) failure = r;
    }
    return failure;
  }

  /** The name itself and with each search domain, in resolv.conf's order (ndots). */
  private candidates(name: string): string[] {
    if (name.endsWith('.')) return [name.slice(0, -1)];
    if (this.hosts.has(name.toLowerCase())) return [name];
    const searched = this.conf.search.map((d) => `${name}.${d}`);
    const dots = name.split('.').length - 1;
    return dots >= this.conf.ndots ? [name, ...searched] : [...searched, name];
  }

  private types(name: string): QueryType[] {
    const out: QueryType[] = [];
    for (const t of this.options.order) {
      const type = t === 'LAST' ? this.last.get(name) : t;
      if (type && !out.includes(type)) out.push(type);
    }
    return out;
  }

  private async resolveName(name: string, depth: number): Promise<Found | Missing> {
    // A name the hosts file knows is answered from it alone (Kong caches those as the last
    // type that answered: no SRV question is asked for `localhost`).
    for (const type of this.hostsOrder()) {
      const fromHosts = this.fromHosts(name, type);
      if (fromHosts) return fromHosts;
    }
    let serverError: Missing | null = null;
    for (const type of this.types(name)) {
      let reply: DnsReply;
      try {
        reply = await queryDns(name, type, this.query);
      } catch (err) {
        serverError = { ok: false, notFound: false, error: `${name} (${type}): ${(err as Error).message}` };
        continue;
      }
      if (reply.rcode === 'NXDOMAIN') return { ok: false, notFound: true, error: `${name}: name error` };
      if (reply.rcode !== 'NOERROR') {
        serverError = { ok: false, notFound: false, error: `${name} (${type}): server error ${reply.rcode}` };
        continue;
      }
      const found = await this.fromReply(name, type, reply, depth);
      if (found) {
        this.last.set(name, type);
        return found;
      }
    }
    return serverError ?? { ok: false, notFound: true, error: `${name}: empty record` };
  }

  /** A and AAAA in the order dns_order lists them (A first when it lists neither). */
  private hostsOrder(): ('A' | 'AAAA')[] {
    const listed = this.options.order.filter((t): t is 'A' | 'AAAA' => t === 'A' || t === 'AAAA');
    return listed.length === 2 ? listed : listed[0] === 'AAAA' ? ['AAAA', 'A'] : ['A', 'AAAA'];
  }

  private fromHosts(name: string, type: QueryType): Found | null {
    if (type !== 'A' && type !== 'AAAA') return null;
    const entry = this.hosts.get(name.toLowerCase());
    const ips = type === 'A' ? entry?.ipv4 : entry?.ipv6;
    return ips?.length ? { ok: true, type, addresses: ips.map((ip) => ({ ip })), ttl: HOSTS_TTL } : null;
  }

  private async fromReply(
    name: string,
    type: QueryType,
    reply: DnsReply,
    depth: number,
  ): Promise<Found | null> {
    // Records of the type asked for, for the name or a name its CNAME chain leads to.
    const chain = new Set([name.toLowerCase()]);
    let cname: string | undefined;
    for (const a of reply.answers)
      if (a.type === 'CNAME' && chain.has(a.name.toLowerCase())) {
        cname = String((a as { data: unknown }).data);
        chain.add(cname.toLowerCase());
      }
    const records = reply.answers.filter((a) => a.type === type && chain.has(a.name.toLowerCase()));
    if (type === 'A' || type === 'AAAA') {
      if (records.length)
        return {
          ok: true,
          type,
          addresses: records.map((a) => ({ ip: String((a as { data: unknown }).data) })),
          ttl: minTtl(records),
        };
    } else if (type === 'SRV' && records.length)
      return this.fromSrv(records as SrvAnswer[], reply.additionals, depth);
    if (cname && depth < MAX_CNAME_DEPTH) {
      const next = await this.resolveName(cname, depth + 1);
      return next.ok ? next : null;
    }
    return null;
  }

  private async fromSrv(records: SrvAnswer[], additionals: Answer[], depth: number): Promise<Found | null> {
    const top = Math.min(...records.map((r) => r.data.priority ?? 0));
    const addresses: ResolvedAddress[] = [];
    let ttl = minTtl(records);
    for (const r of records.filter((s) => (s.data.priority ?? 0) === top)) {
      const { port, weight, target } = r.data;
      let ips: string[] = isIP(target) ? [target] : [];
      if (!ips.length) {
        const glue = additionals.filter(
          (a) => (a.type === 'A' || a.type === 'AAAA') && a.name.toLowerCase() === target.toLowerCase(),
        );
        ips = glue.map((a) => String((a as { data: unknown }).data));
        if (glue.length) ttl = Math.min(ttl, minTtl(glue));
      }
      if (!ips.length && depth < MAX_CNAME_DEPTH) {
        const host = await this.resolveHost(target, depth + 1);
        if (host) {
          ips = host.addresses.map((a) => a.ip);
          ttl = Math.min(ttl, host.ttl);
        }
      }
      for (const ip of ips) addresses.push({ ip, port, weight: weight || 1, srvName: target });
    }
    return addresses.length ? { ok: true, type: 'SRV', addresses, ttl } : null;
  }

  /** An SRV record's target: its A records, else its AAAA records. */
  private async resolveHost(name: string, depth: number): Promise<Found | null> {
    for (const type of ['A', 'AAAA'] as const) {
      const fromHosts = this.fromHosts(name, type);
      if (fromHosts) return fromHosts;
      const reply = await queryDns(name, type, this.query).catch(() => null);
      if (reply?.rcode !== 'NOERROR') continue;
      const found = await this.fromReply(name, type, reply, depth);
      if (found) return found;
    }
    return null;
  }
}

function minTtl(records: Answer[]): number {
  return Math.min(...records.map((r) => (r as { ttl?: number }).ttl ?? 0));
}
