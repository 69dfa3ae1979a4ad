/**
 * Kong's `normalize_ip` / `format_host` (kong/tools/ip.lua): a hostname, IPv4 or IPv6 address
 * with an optional port, as upstream names and targets are written.
 */
import { isIP } from 'node:net';

export interface HostPort {
  type: 'ipv4' | 'ipv6' | 'name';
  host: string;
  port?: number;
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})?)*\.?$/;

function portOf(text: string | undefined): number | undefined | null {
  if (text === undefined) return undefined;
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port <= 65535 ? port : null;
}

/** The parts of `host[:port]` (`[v6]:port` for IPv6), or null when it is neither. */
export function parseHostPort(text: unknown): HostPort | null {
  if (typeof text !== 'string' || !text) return null;
  const bracketed = /^\[([^\]]+)\](?::([^:]*))?$/.exec(text);
  if (bracketed) {
    const port = portOf(bracketed[2]);
    if (isIP(bracketed[1]) !== 6 || port === null) return null;
    return { type: 'ipv6', host: bracketed[1], ...(port !== undefined ? { port } : {}) };
  }
  if (isIP(text) === 6) return { type: 'ipv6', host: text };
  const [host, portText, ...more] = text.split(':');
  const port = portOf(portText);
  if (more.length || port === null) return null;
  const withPort = port !== undefined ? { port } : {};
  if (isIP(host) === 4) return { type: 'ipv4', host, ...withPort };
  // A dotted quad that is no address (999.1.1.1) is no hostname either.
  if (/^[\d.]+$/.test(host) || !HOSTNAME.test(host)) return null;
  return { type: 'name', host, ...withPort };
}

/** `host:port` with the default port filled in, IPv6 bracketed (Kong's format_host). */
export function formatHostPort(p: HostPort, defaultPort: number): string {
  const host = p.type === 'ipv6' ? `[${p.host}]` : p.host;
  return `${host}:${p.port ?? defaultPort}`;
}
