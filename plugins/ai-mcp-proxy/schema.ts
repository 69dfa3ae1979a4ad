import { Bool, Enum, Int, KMap, Nullable, Num, Rec, Str, Type } from '../../shared/schema/kong-types';
import type { FieldError } from '../../shared/schema/validator';
import { definePlugin } from '../../shared/plugins/definition';
import { RedisRecord } from '../lib/redis';
import { compileJq } from '../../shared/jq';
import { toolDefinitionProblems, type ToolDefinition } from './tool-definitions';

const SubjectList = () => Nullable(Type.Array(Str()));
const Acl = () => Rec({ allow: SubjectList(), deny: SubjectList() });

const Tool = Rec(
  {
    name: Nullable(Str()),
    description: Str(),
    acl: Nullable(Acl()),
    annotations: Nullable(
      Rec({
        title: Nullable(Str()),
        read_only_hint: Nullable(Bool()),
        destructive_hint: Nullable(Bool()),
        idempotent_hint: Nullable(Bool()),
        open_world_hint: Nullable(Bool()),
      }),
    ),
    method: Nullable(Enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])),
    path: Nullable(Str()),
    host: Nullable(Str()),
    scheme: Nullable(Enum(['http', 'https'])),
    headers: Nullable(KMap(Type.Array(Str()))),
    query: Nullable(KMap(Type.Array(Str()))),
    parameters: Nullable(Type.Array(Type.Object({}))),
    request_body: Nullable(Type.Object({})),
    responses: Nullable(Type.Object({})),
  },
  { required: ['description'] },
);

export const MCP_PROXY_MODES = [
  'passthrough-listener',
  'conversion-listener',
  'conversion-only',
  'listener',
] as const;

export const aiMcpProxyPlugin = definePlugin({
  name: 'ai-mcp-proxy',
  version: '3.13.0',
  priority: 820,
  runs: {
    afterAuthentication:
      'its tool ACLs judge the authenticated consumer, and its conversion modes answer as the MCP server',
  },
  noConsumer: true,
  noConsumerGroup: true,
  schema: Rec(
    {
      mode: Enum(MCP_PROXY_MODES),
      tools: Nullable(Type.Array(Tool)),
      default_acl: Nullable(
        Type.Array(Rec({ scope: Str({ default: 'tools' }), allow: SubjectList(), deny: SubjectList() })),
      ),
      consumer_identifier: Enum(['consumer_id', 'custom_id', 'username'], { default: 'username' }),
      include_consumer_groups: Bool({ default: false }),
      acl_attribute_type: Enum(['consumer', 'oauth_access_token'], { default: 'consumer' }),
      access_token_claim_field: Nullable(Str({ minLength: 1 })),
      logging: Rec(
        {
          log_statistics: Bool({ default: false }),
          log_payloads: Bool({ default: false }),
          log_audits: Bool({ default: false }),
        },
        { default: {} },
      ),
      max_request_body_size: Int({ minimum: 0, default: 1048576 }),
      // A passthrough route tagged as a listener's source: how long a caller's list of it is
      // reused (Kong AI Gateway's upstream-server field).
      tools_cache_ttl_seconds: Int({ minimum: 0, default: 60 }),
      server: Rec(
        {
          forward_client_headers: Bool({ default: true }),
          tag: Nullable(Str()),
          timeout: Num({ default: 10000 }),
          // As a listener's source: its names never prefixed (Kong AI Gateway), and what a
          // failure of it does to a list — left out and said so in _meta, or the list fails.
          preserve_upstream_tool_names: Bool({ default: false }),
          failure_mode: Enum(['omit', 'fail'], { default: 'omit' }),
          // As a listener: when source names take their source's prefix, and how many sources
          // are asked at once.
          tool_name_prefix: Enum(['on_collision', 'always', 'never'], { default: 'on_collision' }),
          max_concurrency: Int({ minimum: 1, maximum: 64, default: 8 }),
          session: Rec(
            {
              managed: Bool({ default: true }),
              strategy: Nullable(Enum(['client', 'redis'])),
              session_ttl: Num({ default: 86400 }),
              client: Nullable(
                Rec({ secrets: Nullable(Type.Array(Str({ minLength: 8 }), { minItems: 1 })) }),
              ),
              redis: Nullable(RedisRecord()),
            },
            { default: {} },
          ),
        },
        { default: {} },
      ),
    },
    { required: ['mode'] },
  ),
  check: (c) => {
    const errors: FieldError[] = [];
    if (c.mode === 'listener' && !c.server?.tag)
      errors.push({ path: ['server', 'tag'], message: 'required field missing' });
    if (c.acl_attribute_type === 'oauth_access_token' && !c.access_token_claim_field) {
      errors.push({ path: ['access_token_claim_field'], message: 'required field missing' });
    }
    if (c.access_token_claim_field?.startsWith('.'))
      try {
        compileJq(c.access_token_claim_field);
      } catch (err) {
        errors.push({
          path: ['access_token_claim_field'],
          message: `invalid jq path: ${(err as Error).message}`,
        });
      }
    if (c.server?.session?.strategy === 'client' && !c.server.session.client?.secrets?.length) {
      errors.push({ path: ['server', 'session', 'client', 'secrets'], message: 'required field missing' });
    }
    if (c.mode === 'conversion-listener' || c.mode === 'conversion-only')
      (c.tools ?? []).forEach((t, i) => {
        // Relative paths are checked with the route, when the whole config is (tool-sets.ts).
        for (const e of toolDefinitionProblems(t as ToolDefinition, { relativeBase: true }))
          errors.push({ path: ['tools', String(i + 1), ...e.path], message: e.message });
      });
    return errors;
  },
  supported: (c) =>
    c.mode !== 'passthrough-listener' && c.server?.session?.strategy === 'redis'
      ? [
          {
            path: ['server', 'session', 'strategy'],
            message:
              "strategy 'redis' is not supported by Tollgate's data planes (sessions are sealed into the session id: leave it null or use 'client')",
          },
        ]
      : [],
});

export default aiMcpProxyPlugin;
