/**
 * Sessions stay on their target. A consistent-hashing upstream that hashes on a header a
 * target hands out (MCP's `Mcp-Session-Id`) cannot find the target by hashing alone: the first
 * request has no value yet, and the value the target then mints hashes anywhere. So a value
 * that comes back in that header is tagged with the target it came from (`<value>~t<tag>`);
 * a request carrying a tagged value goes to that target while it is healthy, and the target
 * sees its own value, untagged. Tags are a hash of upstream and target, the same on every
 * data plane: no state is shared, and a session survives a data plane's restart. A tag naming
 * no target of the upstream is left as it is (and hashed as it is).
 */
import type { BalancedTarget, UpstreamBalancer } from './upstream-balancer';

const TAGGED = /~t([0-9a-f]{8})$/;

export function tagged(value: string, target: BalancedTarget): string {
  const bare = untag(value);
  return `${bare}~t${target.tag}`;
}

function untag(value: string): string {
  return value.replace(TAGGED, '');
}

/** The value as the target knows it, and the target it names (when it is one of this upstream's). */
export function readTag(
  value: string,
  balancer: UpstreamBalancer,
): { value: string; target?: BalancedTarget } {
  const m = TAGGED.exec(value);
  const target = m ? balancer.targetByTag(m[1]) : undefined;
  return target ? { value: value.slice(0, m!.index), target } : { value };
}
