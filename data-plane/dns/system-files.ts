/**
 * What the system says about names before any server is asked: the hosts file (Kong's
 * dns_hostsfile, consulted first for A and AAAA) and resolv.conf (nameservers, search
 * domains, ndots, timeout, attempts). Both are read once, at start, as Kong reads them.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseDnsServer, type DnsServer } from './dns-options';

export interface HostsEntry {
  ipv4: string[];
  ipv6: string[];
}

/** name (lower case) → its addresses, in file order; a missing file is an empty table. */
export function readHostsFile(path: string): Map<string, HostsEntry> {
  const table = new Map<string, HostsEntry>();
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return table;
  }
  for (const raw of text.split('\n')) {
    const [ip, ...names] = raw.replace(/#.*/, '').trim().split(/\s+/);
    const family = ip ? isIP(ip) : 0;
    if (!family) continue;
    for (const name of names) {
      const entry = table.get(name.toLowerCase()) ?? { ipv4: [], ipv6: [] };
      (family === 4 ? entry.ipv4 : entry.ipv6).push(ip);
      table.set(name.toLowerCase(), entry);
    }
  }
  return table;
}

export interface ResolvConf {
  nameservers: DnsServer[];
  search: string[];
  ndots: number;
  /** Per attempt, ms. */
  timeoutMs: number;
  attempts: number;
}

export function readResolvConf(path = '/etc/resolv.conf'): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], ndots: 1, timeoutMs: 2000, attempts: 2 };
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return conf;
  }
  for (const raw of text.split('\n')) {
    const [key, ...values] = raw
      .replace(/[#;].*/, '')
      .trim()
      .split(/\s+/);
    if (key === 'nameserver' && values[0]) {
      const server = parseDnsServer(values[0]);
      if (server) conf.nameservers.push(server);
    } else if (key === 'search' || key === 'domain') conf.search = values.filter(Boolean);
    else if (key === 'options')
      for (const option of values) {
        const [name, value] = option.split(':');
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0) continue;
        if (name === 'ndots') conf.ndots = Math.min(n, 15);
        else if (name === 'timeout' && n > 0) conf.timeoutMs = Math.min(n, 30) * 1000;
        else if (name === 'attempts' && n > 0) conf.attempts = Math.min(n, 5);
      }
  }
  return conf;
}
