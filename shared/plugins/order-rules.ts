/**
 * Plugins that cooperate in a guard, and the access-phase order the guard needs, as each
 * plugin's definition states it (`runs`). Kong's
 * `ordering` may move plugins freely, except across these: a config whose `ordering` names the
 * other plugin of a rule the wrong way round is refused when written (schema violation), and the
 * data plane's chain holds every rule whatever `ordering` says (runtime/plugin-chain.ts), so no
 * accepted config can switch a guard off.
 *
 * | first                                   | then           | why                                   |
 * | --------------------------------------- | -------------- | ------------------------------------- |
 * | every authenticating plugin (key-auth,  | `ai-mcp-proxy` | its tool ACLs judge the consumer, its |
 * | basic-auth, ai-mcp-oauth2)              |                | conversion modes answer as the server |
 * | `mcp-tool-pinning`                      | `ai-mcp-proxy` | the pinning gate must be in place     |
 * |                                         |                | when ai-mcp-proxy judges a tools/call |
 */
import { PLUGINS } from './registry';

/** `authentication`: every plugin whose definition says it authenticates. */
type Selector = 'authentication' | string;

export interface OrderRule {
  first: Selector;
  then: string;
  why: string;
}

/** Every rule, from the definitions (`runs`): a plugin states its own order needs. */
export const ORDER_RULES: readonly OrderRule[] = [...PLUGINS.values()].flatMap((def) => [
  ...(def.runs?.afterAuthentication
    ? [{ first: 'authentication', then: def.name, why: def.runs.afterAuthentication }]
    : []),
  ...(def.runs?.before ?? []).map((b) => ({ first: def.name, then: b.plugin, why: b.why })),
]);

function selects(selector: Selector, name: string): boolean {
  return selector === 'authentication' ? PLUGINS.get(name)?.authenticates === true : selector === name;
}

/** The rule that makes `a` run before `b` in the access phase, if any. */
export function mustPrecede(a: string, b: string): OrderRule | undefined {
  return ORDER_RULES.find((r) => r.then === b && selects(r.first, a));
}
