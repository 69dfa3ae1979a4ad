/**
 * ip-restriction: the client's address (the connection's: Tollgate takes no forwarded address
 * on trust) against `deny`, then `allow` — Kong's order, so a denied address is refused even
 * when an allowed range holds it; refused with `status` (403) and `message`.
 */
import { BlockList } from 'node:net';
import { defineHandler } from '../../data-plane/runtime/plugin-api';
import { ipRestrictionPlugin, parseIpOrCidr } from './schema';

function listOf(values: readonly string[] | null | undefined): BlockList | null {
  if (!values?.length) return null;
  const list = new BlockList();
  for (const v of values) {
    const p = parseIpOrCidr(v)!;
    const type = p.family === 4 ? 'ipv4' : 'ipv6';
    if (p.prefix === null) list.addAddress(p.address, type);
    else list.addSubnet(p.address, p.prefix, type);
  }
  return list;
}

/** A socket's address as one family: `::ffff:10.0.0.1` is the IPv4 address it maps. */
function clientAddress(raw: string | undefined): { address: string; type: 'ipv4' | 'ipv6' } | null {
  if (!raw) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(raw);
  if (mapped) return { address: mapped[1], type: 'ipv4' };
  return { address: raw, type: raw.includes(':') ? 'ipv6' : 'ipv4' };
}

export default defineHandler(ipRestrictionPlugin, (c) => {
  const deny = listOf(c.deny);
  const allow = listOf(c.allow);
  const status = c.status ?? 403;
  const message = c.message ?? 'Your IP address is not allowed';
  return {
    access(ctx) {
      const client = clientAddress(ctx.req.socket.remoteAddress);
      if (!client) return ctx.error(403, 'Cannot identify the client IP address');
      if (deny?.check(client.address, client.type)) return ctx.error(status, message);
      if (allow && !allow.check(client.address, client.type)) return ctx.error(status, message);
    },
  };
});
