/**
 * mcp-tool-pinning on a data plane: registers a gate ai-mcp-proxy applies to every listed tool
 * and every tools/call. A listed tool is fingerprinted as this plugin counts changes and shown
 * only when approved (or trusted on first use); a call is refused (-32602, never forwarded) when
 * the newest version of the tool seen — here, or anywhere in the cluster — is not the approved
 * one. Observe mode registers nothing: ai-mcp-proxy reports what upstreams list either way.
 */
import { toolPinningPlugin } from './schema';
import { heldMessage, isHeld, pinsOf } from './pins';
import { defineHandler } from '../../data-plane/runtime/plugin-api';
import { addToolGate, requireJudgedByMcpProxy } from '../../data-plane/mcp/guard-chain';
import { ALL_TOOL_FIELDS, fingerprint, toolDefinition } from '../../shared/mcp/tool-fingerprint';
import { toolInventoryOf } from '../../data-plane/mcp/tool-inventory';
import { clusterHoldsOf } from './cluster-holds';

export default defineHandler(toolPinningPlugin, (c, env) => {
  const pins = pinsOf(c);
  const inventory = toolInventoryOf(env.runtime);
  const holds = clusterHoldsOf(env.runtime);
  const allMembers = ALL_TOOL_FIELDS.every((f) => pins.fields.includes(f));
  return {
    access(ctx) {
      if (!pins.enforce) return;
      const route = { id: ctx.route.id, name: ctx.route.name };
      addToolGate(ctx, {
        refusal: 'held',
        listed(name, tool) {
          // Counting every member (the default), the fingerprint ai-mcp-proxy's observation made.
          const fp =
            (allMembers ? inventory.fingerprintOf(tool) : undefined) ??
            fingerprint(toolDefinition(tool), pins.fields);
          const state = pins.stateOf(route, name, fp);
          if (isHeld(state)) holds.withheld.inc();
          return !isHeld(state);
        },
        knows: (name) => holds.heldInCluster(route.id, name) !== undefined,
        callRefusal(name) {
          // The newest version seen: by this data plane, or reported held by the control plane.
          const local = inventory.local(route.id, name);
          const cluster = holds.heldInCluster(route.id, name);
          let current: string | undefined;
          let changed: readonly string[] = [];
          if (cluster && (!local || cluster.seen_at > local.seenAt)) {
            current = cluster.fingerprint;
            changed = cluster.changed;
          } else if (local) current = fingerprint(local.definition, pins.fields);
          const state = pins.stateOf(route, name, current);
          if (!isHeld(state)) return null;
          holds.refusedCalls.inc();
          return heldMessage(name, state, changed);
        },
      });
    },
    beforeUpstream(ctx) {
      // The gate is applied by ai-mcp-proxy: without it on the route, nothing would be pinned.
      requireJudgedByMcpProxy(ctx, 'mcp-tool-pinning');
    },
  };
});
