/**
 * Kong's target health from its addresses (kong/db/dao/targets.lua): a target is HEALTHY when
 * any address is, UNHEALTHY when some is and none is healthy, HEALTHCHECKS_OFF when nothing is
 * counted, DNS_ERROR when it resolved to no address. Several views of one address (workers of a
 * node, nodes of a fleet) merge with UNHEALTHY winning: one balancer that avoids it is enough
 * for an operator to want to know.
 */
import type { AddressHealth } from './protocol';

export type HealthName = AddressHealth['health'];

export function targetHealthOf(list: AddressHealth[]): HealthName {
  if (!list.length) return 'DNS_ERROR';
  let health: HealthName = 'HEALTHCHECKS_OFF';
  for (const a of list) {
    if (a.health === 'HEALTHY') return 'HEALTHY';
    if (a.health === 'UNHEALTHY') health = 'UNHEALTHY';
  }
  return health;
}

export function mergeAddressLists(lists: AddressHealth[][]): AddressHealth[] {
  const byAddress = new Map<string, AddressHealth>();
  for (const list of lists)
    for (const a of list) {
      const key = `${a.ip}|${a.port}`;
      const seen = byAddress.get(key);
      if (!seen || (a.health === 'UNHEALTHY' && seen.health !== 'UNHEALTHY')) byAddress.set(key, { ...a });
    }
  return [...byAddress.values()];
}
