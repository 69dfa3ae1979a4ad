import {
  Bool,
  Enum,
  Int,
  Nullable,
  Num,
  Rec,
  Referenceable,
  Str,
  Type,
} from '../../shared/schema/kong-types';
import { definePlugin } from '../../shared/plugins/definition';
import type { FieldError } from '../../shared/schema/validator';

export const AI_ROUTE_TYPES = [
  'audio/v1/audio/speech',
  'audio/v1/audio/transcriptions',
  'audio/v1/audio/translations',
  'image/v1/images/edits',
  'image/v1/images/generations',
  'llm/v1/assistants',
  'llm/v1/batches',
  'llm/v1/chat',
  'llm/v1/completions',
  'llm/v1/embeddings',
  'llm/v1/files',
  'llm/v1/responses',
  'preserve',
  'realtime/v1/realtime',
  'video/v1/videos/generations',
] as const;

/** Route types Tollgate's data planes run (OpenAI-compatible API paths), and `preserve`. */
export const OPENAI_PATHS: Record<string, string> = {
  'llm/v1/chat': '/v1/chat/completions',
  'llm/v1/completions': '/v1/completions',
  'llm/v1/responses': '/v1/responses',
  'llm/v1/embeddings': '/v1/embeddings',
  'llm/v1/assistants': '/v1/assistants',
  'llm/v1/files': '/v1/files',
  'llm/v1/batches': '/v1/batches',
  'image/v1/images/generations': '/v1/images/generations',
  'image/v1/images/edits': '/v1/images/edits',
  'audio/v1/audio/speech': '/v1/audio/speech',
  'audio/v1/audio/transcriptions': '/v1/audio/transcriptions',
  'audio/v1/audio/translations': '/v1/audio/translations',
};

/** Providers that speak the OpenAI API with a known base URL (others need `upstream_url`). */
export const OPENAI_COMPATIBLE_BASE: Record<string, string> = {
  openai: 'https://api.openai.com',
  deepseek: 'https://api.deepseek.com',
  xai: 'https://api.x.ai',
  cerebras: 'https://api.cerebras.ai',
};

export const AI_PROVIDERS = [
  'anthropic',
  'azure',
  'bedrock',
  'cerebras',
  'cohere',
  'dashscope',
  'databricks',
  'deepseek',
  'gemini',
  'huggingface',
  'llama2',
  'mistral',
  'ollama',
  'openai',
  'vllm',
  'xai',
] as const;

const NStr = () => Nullable(Str());
const NRef = () => Nullable(Referenceable());
const FreeRecord = () => Nullable(Type.Object({}));

const Auth = () =>
  Rec({
    header_name: NRef(),
    header_value: NRef(),
    param_name: NRef(),
    param_value: NRef(),
    param_location: Nullable(Enum(['query', 'body'])),
    allow_override: Bool({ default: false }),
    azure_use_managed_identity: Bool({ default: false }),
    azure_client_id: NRef(),
    azure_client_secret: NRef(),
    azure_tenant_id: NRef(),
    gcp_use_service_account: Bool({ default: false }),
    gcp_service_account_json: NRef(),
    gcp_metadata_url: NRef(),
    gcp_oauth_token_url: NRef(),
    aws_access_key_id: NRef(),
    aws_secret_access_key: NRef(),
  });

const ModelOptions = () =>
  Rec({
    max_tokens: Nullable(Int()),
    temperature: Nullable(Num({ minimum: 0, maximum: 5 })),
    top_p: Nullable(Num({ minimum: 0, maximum: 1 })),
    top_k: Nullable(Int({ minimum: 0, maximum: 500 })),
    input_cost: Nullable(Num()),
    output_cost: Nullable(Num()),
    upstream_url: NStr(),
    upstream_path: NStr(),
    anthropic_version: NStr(),
    azure_api_version: Str({ default: '2023-05-15' }),
    azure_deployment_id: NStr(),
    azure_instance: NStr(),
    embeddings_dimensions: Nullable(Int()),
    llama2_format: Nullable(Enum(['ollama', 'openai', 'raw'])),
    mistral_format: Nullable(Enum(['ollama', 'openai'])),
    bedrock: FreeRecord(),
    cohere: FreeRecord(),
    dashscope: FreeRecord(),
    databricks: FreeRecord(),
    gemini: FreeRecord(),
    huggingface: FreeRecord(),
  });

const Target = Rec(
  {
    route_type: Enum(AI_ROUTE_TYPES),
    auth: Nullable(Auth()),
    model: Rec(
      { provider: Enum(AI_PROVIDERS), name: NStr(), model_alias: NStr(), options: Nullable(ModelOptions()) },
      { required: ['provider'] },
    ),
    logging: Rec(
      { log_statistics: Bool({ default: false }), log_payloads: Bool({ default: false }) },
      { default: {} },
    ),
    weight: Int({ minimum: 1, maximum: 65535, default: 100 }),
    description: NStr(),
    metadata: FreeRecord(),
  },
  { required: ['route_type', 'model'] },
);

const Timeout = () => Int({ minimum: 1, maximum: 2147483646, default: 60000 });

export const aiProxyAdvancedPlugin = definePlugin({
  name: 'ai-proxy-advanced',
  version: '3.12.0',
  priority: 770,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'ws', 'wss'],
  schema: Rec(
    {
      targets: Type.Array(Target, { minItems: 1 }),
      balancer: Rec(
        {
          algorithm: Enum(
            [
              'round-robin',
              'consistent-hashing',
              'least-connections',
              'lowest-latency',
              'lowest-usage',
              'priority',
              'semantic',
            ],
            { default: 'round-robin' },
          ),
          connect_timeout: Timeout(),
          read_timeout: Timeout(),
          write_timeout: Timeout(),
          retries: Int({ minimum: 0, maximum: 32767, default: 5 }),
          slots: Int({ minimum: 10, maximum: 65536, default: 10000 }),
          max_fails: Int({ minimum: 0, maximum: 32767, default: 0 }),
          fail_timeout: Int({ minimum: 1, maximum: 2147483646, default: 10000 }),
          hash_on_header: Str({ default: 'X-Kong-LLM-Request-ID' }),
          latency_strategy: Enum(['tpot', 'e2e'], { default: 'tpot' }),
          tokens_count_strategy: Enum(
            ['total-tokens', 'prompt-tokens', 'completion-tokens', 'cost', 'llm-accuracy'],
            { default: 'total-tokens' },
          ),
          failover_criteria: Type.Array(
            Enum([
              'error',
              'timeout',
              'invalid_header',
              'http_403',
              'http_404',
              'http_429',
              'http_500',
              'http_502',
              'http_503',
              'http_504',
              'non_idempotent',
            ]),
            { default: ['error', 'timeout'] },
          ),
        },
        { default: {} },
      ),
      acls: FreeRecord(),
      embeddings: FreeRecord(),
      vectordb: FreeRecord(),
      genai_category: Enum(
        [
          'text/generation',
          'text/embeddings',
          'audio/speech',
          'audio/transcription',
          'image/generation',
          'realtime/generation',
          'video/generation',
        ],
        { default: 'text/generation' },
      ),
      llm_format: Enum(['openai', 'anthropic', 'bedrock', 'cohere', 'gemini', 'huggingface'], {
        default: 'openai',
      }),
      max_request_body_size: Int({ minimum: 0, default: 1048576 }),
      model_name_header: Bool({ default: true }),
      response_streaming: Enum(['allow', 'always', 'deny'], { default: 'allow' }),
    },
    { required: ['targets'] },
  ),
  supported: (c) => {
    const errors: FieldError[] = [];
    (c.targets ?? []).forEach((t: any, i: number) => {
      if (t.route_type !== 'preserve' && OPENAI_PATHS[t.route_type] === undefined)
        errors.push({
          path: ['targets', i, 'route_type'],
          message: `route_type '${t.route_type}' is not supported by Tollgate's data planes`,
        });
      if (!t.model?.options?.upstream_url && OPENAI_COMPATIBLE_BASE[t.model?.provider] === undefined)
        errors.push({
          path: ['targets', i, 'model', 'options', 'upstream_url'],
          message: `required for provider '${t.model?.provider}' (Tollgate speaks its OpenAI-compatible API at that URL)`,
        });
    });
    return errors;
  },
});

export default aiProxyAdvancedPlugin;
