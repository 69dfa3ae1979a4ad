// Credential plugin names as used by the two packages:
//  - ConsumerCredentialList (entities-consumer-credentials) config.plugin: 'acls' | 'basic-auth' | 'key-auth'
//    | 'key-auth-enc' | 'oauth2' | 'hmac-auth' | 'jwt'  -> GET /consumers/{consumerId}/{plugin}
//  - PluginForm (entities-plugins) with `credential` prop, pluginType: 'acl' | 'basic-auth' | 'key-auth' | ...
//    -> GET /schemas/{schemaEndpoint}, POST /consumers/{id}{endpoint}, PATCH /consumers/{id}{endpoint}/{credId}
export const CREDENTIAL_PLUGINS = ['key-auth', 'basic-auth', 'acl', 'hmac-auth', 'jwt', 'oauth2'] as const;

export const listPluginName = (pluginType: string) => (pluginType === 'acl' ? 'acls' : pluginType);
export const titleFor = (pluginType: string) =>
  (
    ({
      'key-auth': 'Key Authentication',
      'basic-auth': 'Basic Authentication',
      acl: 'ACL',
      'hmac-auth': 'HMAC Authentication',
      jwt: 'JWT',
      oauth2: 'OAuth 2.0',
      'key-auth-enc': 'Key Authentication - Encrypted',
    }) as Record<string, string>
  )[pluginType] ?? pluginType;
