/**
 * Which `Host` names a listener answers (DNS rebinding: a page on another site whose name
 * resolves to 127.0.0.1 reaches a loopback listener with its own name in `Host`). One rule for
 * every listener of both planes: bound to loopback, a listener answers loopback names and the
 * names the operator allows; bound elsewhere it answers any name unless an allow list is set.
 */
import { isIP } from 'node:net';

export function isLoopbackName(host: string): boolean {
  const h = host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^(0{0,4}:){7}0{0,3}1$/.test(h) || h === '0:0:0:0:0:0:0:1';
  return false;
}

/** The name part of a `Host` header (`[::1]:8001` → `::1`), lowercased; null when malformed. */
export function hostNameOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:@/?#[\]]+))(?::(\d{1,5}))?$/.exec(header.trim());
  if (!m) return null;
  return (m[1] ?? m[2]).toLowerCase().replace(/\.$/, '');
}

/** Names a listener answers; `accepts` is null when any name is (non-loopback bind, no list). */
export interface HostNames {
  accepts(name: string): boolean;
}

/**
 * `allowed`: names the operator allows beside the loopback names (`*`: any). Loopback-bound
 * listeners always check; others check only when a list is given.
 */
export function hostNamesFor(listenHost: string, allowed: readonly string[]): HostNames | null {
  if (allowed.includes('*')) return null;
  if (!isLoopbackName(listenHost) && !allowed.length) return null;
  const names = new Set(allowed.map((h) => h.toLowerCase().replace(/\.$/, '')));
  return { accepts: (name) => isLoopbackName(name) || names.has(name) };
}

/** Why a request with this `Host` header is refused, or null (the check is off: null guard). */
export function hostRefusal(guard: HostNames | null, header: string | string[] | undefined): string | null {
  if (!guard) return null;
  if (Array.isArray(header)) return 'more than one Host header';
  const name = hostNameOf(header);
  if (name === null) return header === undefined ? 'no Host header' : `malformed Host header`;
  return guard.accepts(name) ? null : `Host '${name}' is not served here`;
}

/** The same, for a request as Node parsed it (repeated Host headers are kept apart there). */
export function requestHostRefusal(
  guard: HostNames | null,
  req: { headersDistinct: Record<string, string[] | undefined> },
): string | null {
  const hosts = req.headersDistinct.host;
  return hostRefusal(guard, hosts && hosts.length === 1 ? hosts[0] : hosts);
}

/** A comma-separated list from the environment (`TOLLGATE_ALLOWED_HOSTS`). */
export function parseHostList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
