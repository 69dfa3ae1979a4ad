/** Kong's wildcard_host: a hostname with at most one `*`, leftmost or rightmost (SNIs). */
import { Str } from '../schema/kong-types';
import { parseHostPort } from './host-port';

export const WildcardHost = () => Str({ minLength: 1 });

export function wildcardHostError(host: string): string | null {
  let name = host;
  const at = host.indexOf('*');
  if (at !== -1) {
    if (at !== 0 && at !== host.length - 1) return 'wildcard must be leftmost or rightmost character';
    if (host.indexOf('*', at + 1) !== -1) return 'only one wildcard must be specified';
    name = host.replace('*', 'wildcard');
  }
  const p = parseHostPort(name);
  if (!p) return `invalid value: ${host}`;
  if (p.port !== undefined) return 'must not have a port';
  if (p.type !== 'name') return 'must not be an IP';
  return null;
}
