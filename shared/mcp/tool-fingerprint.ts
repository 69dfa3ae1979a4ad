/**
 * What a tool is, for pinning: the parts of a `tools/list` entry an agent acts on (title,
 * description, input and output schema, annotations), canonicalised (keys sorted, no
 * whitespace) and hashed. Data planes fingerprint what upstreams list; the control plane keeps
 * the approved fingerprint per route and tool. Both planes use this one module.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { compare, type Operation } from 'fast-json-patch';
import { canonicalJson, sha256Hex } from '../canonical-json';

/** Config names (Kong's snake_case) and the MCP members they stand for. */
export const TOOL_FIELDS = {
  title: 'title',
  description: 'description',
  input_schema: 'inputSchema',
  output_schema: 'outputSchema',
  annotations: 'annotations',
} as const;
export type ToolField = keyof typeof TOOL_FIELDS;
export const ALL_TOOL_FIELDS = Object.keys(TOOL_FIELDS) as ToolField[];

/** A tool as listed, reduced to the members that can count as a change. */
export type ToolDefinition = Partial<Record<(typeof TOOL_FIELDS)[ToolField], unknown>>;

export const FINGERPRINT_PATTERN = '^sha256:[0-9a-f]{64}$';

/** The members of a listed tool that pinning looks at (absent ones stay absent). */
export function toolDefinition(tool: Record<string, unknown>): ToolDefinition {
  const out: ToolDefinition = {};
  for (const key of Object.values(TOOL_FIELDS))
    if (Object.prototype.hasOwnProperty.call(tool, key) && tool[key] !== undefined) out[key] = tool[key];
  return out;
}

/** `sha256:<hex>` of the canonical JSON of the chosen members. */
export function fingerprint(def: ToolDefinition, fields: readonly ToolField[] = ALL_TOOL_FIELDS): string {
  const picked: Record<string, unknown> = {};
  for (const f of fields) {
    const key = TOOL_FIELDS[f];
    if (def[key] !== undefined) picked[key] = def[key];
  }
  return `sha256:${sha256Hex(canonicalJson(picked))}`;
}

/** What changed between two definitions: RFC 6902 operations, and the config fields touched. */
export function diffTools(
  from: ToolDefinition | null,
  to: ToolDefinition | null,
): { patch: Operation[]; fields: ToolField[] } {
  const a = JSON.parse(canonicalJson(from ?? {}));
  const b = JSON.parse(canonicalJson(to ?? {}));
  const patch = compare(a, b);
  const members = new Set(patch.map((op) => op.path.split('/')[1]));
  return { patch, fields: ALL_TOOL_FIELDS.filter((f) => members.has(TOOL_FIELDS[f])) };
}

/** DP → CP (`mcp_tools` reports in analytics batches): one tools/list reply as an upstream sent it, before filtering. */
export const ToolObservationSchema = Type.Object({
  route_id: Type.String({ maxLength: 64 }),
  /** ms since the epoch. */
  ts: Type.Number({ minimum: 0 }),
  /** The reply was a whole list (first page, no next cursor): tools missing from it are gone. */
  complete: Type.Boolean(),
  tools: Type.Array(
    Type.Object({
      name: Type.String({ minLength: 1, maxLength: 255 }),
      fingerprint: Type.String({ pattern: FINGERPRINT_PATTERN }),
      /** Sent the first time this data plane reports the fingerprint. */
      definition: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
    { maxItems: 5000 },
  ),
});
export type ToolObservation = Static<typeof ToolObservationSchema>;
export const checkToolObservation = TypeCompiler.Compile(ToolObservationSchema);

/** The kind of the tool observations data planes report (DP → CP). */
export const TOOLS_KIND = 'mcp_tools';
