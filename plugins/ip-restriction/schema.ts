import { isIP } from 'node:net';
import { Int, Nullable, Rec, Str, Type } from '../../shared/schema/kong-types';
import { ENTITY_CHECK } from '../../shared/errors';
import type { FieldError } from '../../shared/schema/validator';
import { definePlugin } from '../../shared/plugins/definition';

/** An address or a CIDR range (Kong's `typedefs.ip_or_cidr`). */
export function parseIpOrCidr(
  value: string,
): { address: string; prefix: number | null; family: 4 | 6 } | null {
  const [address, prefix, extra] = value.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) return null;
  if (prefix === undefined) return { address, prefix: null, family: family as 4 | 6 };
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128)) return null;
  return { address, prefix: Number(prefix), family: family as 4 | 6 };
}

/** Kong's ip-restriction (3.x). */
export const ipRestrictionPlugin = definePlugin({
  name: 'ip-restriction',
  version: '3.12.0',
  priority: 990,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls'],
  schema: Rec({
    allow: Nullable(Type.Array(Str())),
    deny: Nullable(Type.Array(Str())),
    status: Nullable(Int()),
    message: Nullable(Str()),
  }),
  check: (c) => {
    const errors: FieldError[] = [];
    if (!c.allow?.length && !c.deny?.length)
      errors.push({
        path: [ENTITY_CHECK],
        message: "at least one of these fields must be non-empty: 'config.allow', 'config.deny'",
      });
    for (const field of ['allow', 'deny'] as const)
      (c[field] ?? []).forEach((v, i) => {
        if (!parseIpOrCidr(v)) errors.push({ path: [field, i], message: `invalid ip or cidr range: '${v}'` });
      });
    return errors;
  },
});

export default ipRestrictionPlugin;
