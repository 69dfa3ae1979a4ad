/**
 * mcp-tool-pinning (Tollgate's own): a tool an upstream MCP server changes after it was
 * approved — its description, schemas, annotations or title — is held until someone approves
 * the new version. Added next to `ai-mcp-proxy` on the same route (or service, or globally);
 * the approved baseline is this plugin's config, so it lives in decK files like any other.
 */
import { Enum, KSet, Nullable, Rec, Str, Type } from '../../shared/schema/kong-types';
import type { FieldError } from '../../shared/schema/validator';
import { definePlugin } from '../../shared/plugins/definition';
import { ALL_TOOL_FIELDS, FINGERPRINT_PATTERN } from '../../shared/mcp/tool-fingerprint';

const ApprovedTool = Rec(
  {
    /** The route (name or id) the approval is for; null: every route this plugin governs. */
    route: Nullable(Str({ minLength: 1, maxLength: 255 })),
    name: Str({ minLength: 1, maxLength: 255 }),
    fingerprint: Str({
      pattern: FINGERPRINT_PATTERN,
      kongMessage: 'must be sha256: and 64 lowercase hexadecimal digits',
    }),
  },
  { required: ['name', 'fingerprint'] },
);

export const toolPinningPlugin = definePlugin({
  name: 'mcp-tool-pinning',
  version: '1.0.0',
  // After authentication, before ai-mcp-proxy (820), which applies the gate it registers.
  priority: 825,
  // ai-mcp-proxy applies the gate this plugin registers: without it nothing would be pinned.
  requires: ['ai-mcp-proxy'],
  runs: {
    before: [
      { plugin: 'ai-mcp-proxy', why: 'ai-mcp-proxy applies the pinning gate when it judges a tools/call' },
    ],
  },
  noConsumer: true,
  noConsumerGroup: true,
  schema: Rec({
    /** enforce: changed or new tools are withheld and their calls refused; observe: recorded only. */
    mode: Enum(['enforce', 'observe'], { default: 'enforce' }),
    /** What counts as a change (canonicalised: key order and whitespace never count). */
    fingerprint_fields: KSet(Enum(ALL_TOOL_FIELDS), { default: [...ALL_TOOL_FIELDS], minItems: 1 }),
    /** A route's first sight of tools, before any approval for it: trusted (TOFU) or held. */
    first_use: Enum(['trust', 'hold'], { default: 'trust' }),
    approved_tools: Type.Array(ApprovedTool, { default: [], maxItems: 10_000 }),
  }),
  check: (c) => {
    const errors: FieldError[] = [];
    const seen = new Set<string>();
    c.approved_tools.forEach((a, i) => {
      const key = `${a.route ?? ''}\0${a.name}`;
      if (seen.has(key))
        errors.push({
          path: ['approved_tools', i],
          message: `tool '${a.name}' is approved twice${a.route ? ` for route '${a.route}'` : ''}`,
        });
      seen.add(key);
    });
    return errors;
  },
});

export default toolPinningPlugin;
