/**
 * acl: after an auth plugin identified the consumer, its groups (its `acls`, and with
 * `include_consumer_groups` its consumer groups) against `allow` or `deny`. No consumer: 401
 * (403 when a credential without a consumer was accepted); blocked: 403 `You cannot consume this
 * service`; allowed: the groups go upstream in `X-Consumer-Groups` unless `hide_groups_header`.
 */
import { defineHandler, type CompileEnv, type RequestContextApi } from '../../data-plane/runtime/plugin-api';
import type { Entity } from '../../data-plane/runtime/entity';
import { aclPlugin } from './schema';

/** Each consumer's ACL groups, indexed once per snapshot (every acl instance shares it). */
const INDEX = new WeakMap<readonly Entity[], Map<string, string[]>>();

function groupsIndex(env: CompileEnv): Map<string, string[]> {
  const rows = env.rows('acls');
  let index = INDEX.get(rows);
  if (!index) {
    index = new Map();
    for (const acl of rows) {
      const id = acl.consumer?.id as string | undefined;
      if (!id || typeof acl.group !== 'string') continue;
      const list = index.get(id) ?? [];
      list.push(acl.group);
      index.set(id, list);
    }
    // In name order, whatever order the rows came in (the header reads the same every time).
    for (const list of index.values()) list.sort();
    INDEX.set(rows, index);
  }
  return index;
}

export default defineHandler(aclPlugin, (c, env) => {
  const deny = c.deny != null;
  const listed = new Set(c.deny ?? c.allow ?? []);
  const index = groupsIndex(env);

  function groupsOf(ctx: RequestContextApi, consumer: string): string[] {
    const own = index.get(consumer) ?? [];
    if (!c.include_consumer_groups) return own;
    return [...own, ...(ctx.consumerGroups ?? []).map((g) => String(g.name))];
  }

  return {
    access(ctx) {
      const consumer = ctx.consumer && !ctx.anonymous ? (ctx.consumer.id as string) : null;
      // An anonymous consumer is a consumer to Kong's acl: its groups decide.
      const who = consumer ?? (ctx.consumer?.id as string | undefined) ?? null;
      if (!who) return ctx.credential ? ctx.error(403, 'You cannot consume this service') : ctx.error(401);
      const groups = groupsOf(ctx, who);
      const member = groups.some((g) => listed.has(g));
      if (deny ? member : !member) return ctx.error(403, 'You cannot consume this service');
      if (!c.hide_groups_header && groups.length) ctx.headers['x-consumer-groups'] = groups.join(', ');
    },
  };
});
