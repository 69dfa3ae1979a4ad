import {
  Bool,
  Enum,
  Int,
  KMap,
  Nullable,
  Num,
  Rec,
  Referenceable,
  Str,
  Type,
  JWT_ALGS,
} from '../../shared/schema/kong-types';
import type { FieldError } from '../../shared/schema/validator';
import { definePlugin } from '../../shared/plugins/definition';

const TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const ClaimPath = () => Nullable(Type.Array(Str(), { minItems: 1 }));

export const aiMcpOauth2Plugin = definePlugin({
  name: 'ai-mcp-oauth2',
  version: '3.13.0',
  priority: 1015,
  authenticates: true,
  noConsumer: true,
  noConsumerGroup: true,
  schema: Rec(
    {
      resource: Str(),
      authorization_servers: Type.Array(Str(), { minItems: 1 }),
      scopes_supported: Nullable(Type.Array(Str(), { minItems: 1 })),
      metadata_endpoint: Nullable(Str()),
      introspection_endpoint: Nullable(Str()),
      mtls_introspection_endpoint: Nullable(Str()),
      introspection_format: Nullable(Enum(['base64', 'base64url', 'string'])),
      client_id: Nullable(Referenceable()),
      client_secret: Nullable(Referenceable()),
      client_auth: Nullable(
        Enum([
          'client_secret_basic',
          'client_secret_post',
          'client_secret_jwt',
          'private_key_jwt',
          'tls_client_auth',
          'self_signed_tls_client_auth',
          'none',
        ]),
      ),
      client_alg: Nullable(Enum(JWT_ALGS)),
      client_jwk: Nullable(Referenceable()),
      tls_client_auth_cert: Nullable(Str()),
      tls_client_auth_key: Nullable(Str()),
      tls_client_auth_ssl_verify: Bool({ default: true }),
      args: Nullable(KMap(Str())),
      headers: Nullable(KMap(Str())),
      cache_introspection: Bool({ default: true }),
      jwks_endpoint: Nullable(Str()),
      jwks_cache_ttl: Int({ minimum: 0, default: 3600 }),
      jwt_claims_leeway: Int({ minimum: 0, default: 0 }),
      metadata_discovery_endpoint: Nullable(Str()),
      metadata_cache_ttl: Int({ minimum: 0, default: 3600 }),
      metadata_discovery_retry: Int({ minimum: 0, default: 3 }),
      insecure_relaxed_audience_validation: Bool({ default: false }),
      passthrough_credentials: Bool({ default: false }),
      consumer_claim: ClaimPath(),
      consumer_by: Type.Array(Enum(['id', 'username', 'custom_id']), {
        minItems: 1,
        default: ['custom_id', 'username'],
      }),
      consumer_optional: Bool({ default: false }),
      consumer_groups_claim: ClaimPath(),
      consumer_groups_optional: Bool({ default: false }),
      credential_claim: Type.Array(Str(), { default: ['sub'] }),
      claim_to_header: Nullable(
        Type.Array(Rec({ claim: Str(), header: Str() }, { required: ['claim', 'header'] }), { minItems: 1 }),
      ),
      upstream_headers: Nullable(
        Type.Array(
          Rec({ header: Str(), path: Type.Array(Str(), { minItems: 1 }) }, { required: ['header', 'path'] }),
        ),
      ),
      token_exchange: Nullable(
        Rec(
          {
            enabled: Bool({ default: false }),
            token_endpoint: Str(),
            client_auth: Enum(['client_secret_basic', 'client_secret_post', 'inherit', 'none'], {
              default: 'client_secret_basic',
            }),
            client_id: Nullable(Referenceable()),
            client_secret: Nullable(Referenceable()),
            cache: Rec(
              { enabled: Bool({ default: true }), ttl: Int({ minimum: 0, default: 3600 }) },
              { default: {} },
            ),
            request: Rec(
              {
                audience: Nullable(Type.Array(Str(), { minItems: 1 })),
                scopes: Nullable(Type.Array(Str(), { minItems: 1 })),
                resource: Nullable(Str()),
                subject_token_type: Str({ default: TOKEN_TYPE }),
                requested_token_type: Str({ default: TOKEN_TYPE }),
                actor_token_source: Enum(['none', 'config', 'header'], { default: 'none' }),
                actor_token: Nullable(Str()),
                actor_token_header: Nullable(Str()),
                actor_token_type: Str({ default: TOKEN_TYPE }),
              },
              { default: {} },
            ),
          },
          { required: ['token_endpoint'] },
        ),
      ),
      max_request_body_size: Int({ minimum: 0, default: 1048576 }),
      timeout: Num({ minimum: 0, default: 10000 }),
      ssl_verify: Bool({ default: true }),
      keepalive: Bool({ default: true }),
      http_version: Num({ default: 1.1 }),
      http_proxy: Nullable(Str()),
      http_proxy_authorization: Nullable(Referenceable()),
      https_proxy: Nullable(Str()),
      https_proxy_authorization: Nullable(Referenceable()),
      no_proxy: Nullable(Str()),
    },
    { required: ['resource', 'authorization_servers'] },
  ),
  check: (c) => {
    const errors: FieldError[] = [];
    // The exchanged token is a credential for the upstream: it only travels with passthrough.
    if (c.token_exchange?.enabled && !c.passthrough_credentials)
      errors.push({
        path: ['passthrough_credentials'],
        message: 'must be true when token_exchange is enabled',
      });
    if (c.claim_to_header && c.upstream_headers) {
      errors.push({
        path: ['@entity'],
        message: "only one of these fields can be set: 'claim_to_header', 'upstream_headers'",
      });
    }
    return errors;
  },
});

export default aiMcpOauth2Plugin;
