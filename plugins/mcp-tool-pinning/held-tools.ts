/**
 * The held list, both halves of the plugin: the control plane pushes it to data planes as
 * cluster state (control-plane/held-tools.service.ts), a data plane reads it to refuse calls of
 * tools it has not listed itself (cluster-holds.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** The state's kind (named before pinning was a plugin of its own; data planes read it so). */
export const HELD_TOOLS_KIND = 'mcp_tools';

/**
 * Tools on pinned routes whose newest fingerprint (as the governing plugin counts changes) is
 * not the approved one, as the whole cluster saw them.
 */
export const HeldToolsSchema = Type.Object({
  held: Type.Array(
    Type.Object({
      route_id: Type.String({ maxLength: 64 }),
      name: Type.String({ maxLength: 255 }),
      fingerprint: Type.String({ maxLength: 80 }),
      /** When it was last seen, ms since the epoch. */
      seen_at: Type.Number(),
      changed: Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 }),
    }),
    { maxItems: 100_000 },
  ),
});
export type HeldTools = Static<typeof HeldToolsSchema>;
export type HeldTool = HeldTools['held'][number];
export const checkHeldTools = TypeCompiler.Compile(HeldToolsSchema);
