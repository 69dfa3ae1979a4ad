/**
 * Kong's DNS settings (kong.conf `dns_*`), read from TOLLGATE_DNS_*: which servers answer,
 * which hosts file is consulted first, the record types tried in order, and how long answers,
 * failures and stale answers are kept. A value that does not parse stops the data plane at
 * start with the setting's name, never a silent default.
 */
import { isIP } from 'node:net';

export type RecordType = 'LAST' | 'SRV' | 'A' | 'AAAA' | 'CNAME';

export interface DnsServer {
  host: string;
  port: number;
}

export interface DnsOptions {
  /** dns_resolver: null uses the nameservers of resolv.conf. */
  resolvers: DnsServer[] | null;
  /** dns_hostsfile (default /etc/hosts). */
  hostsFile: string;
  /** dns_order (default LAST,SRV,A,CNAME). */
  order: RecordType[];
  /** dns_valid_ttl: seconds that replace every record's own TTL (null: the record's). */
  validTtl: number | null;
  /** dns_stale_ttl: seconds an expired answer is still used while its refresh fails. */
  staleTtl: number;
  /** dns_not_found_ttl: seconds a name that does not exist is remembered as such. */
  notFoundTtl: number;
  /** dns_error_ttl: seconds before a name whose lookup failed is asked again. */
  errorTtl: number;
}

export const DEFAULT_DNS_OPTIONS: DnsOptions = {
  resolvers: null,
  hostsFile: '/etc/hosts',
  order: ['LAST', 'SRV', 'A', 'CNAME'],
  validTtl: null,
  staleTtl: 3600,
  notFoundTtl: 30,
  errorTtl: 1,
};

const TYPES = new Set<RecordType>(['LAST', 'SRV', 'A', 'AAAA', 'CNAME']);

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `ip`, `ip:port` or `[v6]:port` (Kong's dns_resolver entries; port 53 by default). */
export function parseDnsServer(text: string): DnsServer | null {
  const v6 = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  const [host, port] = v6 ? [v6[1], v6[2]] : isIP(text) === 6 ? [text, undefined] : text.split(':');
  const n = port === undefined ? 53 : Number(port);
  if (
    !isIP(host) ||
    !Number.isInteger(n) ||
    n < 1 ||
    n > 65535 ||
    (port !== undefined && !/^\d+$/.test(port))
  )
    return null;
  return { host, port: n };
}

function seconds(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+(\.\d+)?$/.test(value))
    throw new Error(`${name}: expected seconds (a number >= 0), got '${value}'`);
  return Number(value);
}

export function dnsOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): DnsOptions {
  const d = DEFAULT_DNS_OPTIONS;
  let resolvers: DnsServer[] | null = null;
  if (env.TOLLGATE_DNS_RESOLVER) {
    resolvers = list(env.TOLLGATE_DNS_RESOLVER).map((s) => {
      const server = parseDnsServer(s);
      if (!server) throw new Error(`TOLLGATE_DNS_RESOLVER: '${s}' is not an ip[:port]`);
      return server;
    });
    if (!resolvers.length) resolvers = null;
  }
  let order = d.order;
  if (env.TOLLGATE_DNS_ORDER) {
    order = list(env.TOLLGATE_DNS_ORDER.toUpperCase()) as RecordType[];
    const bad = order.find((t) => !TYPES.has(t));
    if (bad || !order.length)
      throw new Error(
        `TOLLGATE_DNS_ORDER: expected a list of LAST, SRV, A, AAAA, CNAME, got '${env.TOLLGATE_DNS_ORDER}'`,
      );
  }
  const valid = env.TOLLGATE_DNS_VALID_TTL;
  return {
    resolvers,
    hostsFile: env.TOLLGATE_DNS_HOSTSFILE || d.hostsFile,
    order,
    validTtl: valid === undefined || valid === '' ? null : seconds('TOLLGATE_DNS_VALID_TTL', valid, 0),
    staleTtl: seconds('TOLLGATE_DNS_STALE_TTL', env.TOLLGATE_DNS_STALE_TTL, d.staleTtl),
    notFoundTtl: seconds('TOLLGATE_DNS_NOT_FOUND_TTL', env.TOLLGATE_DNS_NOT_FOUND_TTL, d.notFoundTtl),
    errorTtl: seconds('TOLLGATE_DNS_ERROR_TTL', env.TOLLGATE_DNS_ERROR_TTL, d.errorTtl),
  };
}
