/**
 * Who the ACLs judge for one request: the consumer (by consumer_identifier) and its groups
 * (include_consumer_groups), or — acl_attribute_type `oauth_access_token` (Kong 3.14) — the
 * values of one claim of the access token the auth plugin validated, selected by a jq path
 * (`.user.email`, `.roles`). No token, or no value there: no subject, so an allow list denies.
 */
import type { RequestContextApi } from '../../data-plane/runtime/plugin-api';
import { tokenClaimsOf } from '../../data-plane/pdk/auth';
import { compileJq, JqError } from '../../shared/jq';
import { callerOf, type Caller } from './tool-acl';

interface CallerConfig {
  consumer_identifier?: string | null;
  include_consumer_groups?: boolean | null;
  acl_attribute_type?: string | null;
  access_token_claim_field?: string | null;
}

function claimPath(field: string): string {
  // A bare claim name is the top-level claim (Kong documents `.user.email` for nested ones).
  return field.startsWith('.') ? field : `.[${JSON.stringify(field)}]`;
}

/** Compile once per snapshot; the returned function runs per request. */
export function callerResolver(config: CallerConfig): (ctx: RequestContextApi) => Caller {
  if (config.acl_attribute_type === 'oauth_access_token' && config.access_token_claim_field) {
    const program = compileJq(claimPath(config.access_token_claim_field));
    return (ctx) => {
      const claims = tokenClaimsOf(ctx);
      const values: string[] = [];
      if (claims) {
        let out: unknown[] = [];
        try {
          out = program.run(claims);
        } catch (err) {
          if (!(err instanceof JqError)) throw err;
        }
        for (const v of out.flat())
          if (typeof v === 'string' || typeof v === 'number') values.push(String(v));
      }
      return { consumer: null, groups: [], claims: values };
    };
  }
  return (ctx) =>
    callerOf(
      config,
      ctx.consumer,
      ctx.consumerGroups.map((g) => g.name),
    );
}
