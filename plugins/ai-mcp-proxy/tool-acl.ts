/**
 * Tool ACLs of ai-mcp-proxy (Kong 3.13+): a tool's own `acl` replaces `default_acl`; deny beats
 * allow; an allow list that does not name the caller denies; no ACL allows. One module, read by
 * the data plane (which enforces it) and the control plane (which shows the matrix it decides).
 */
export interface Acl {
  allow?: string[] | null;
  deny?: string[] | null;
}

export interface AclDecision {
  allowed: boolean;
  /** The subject the message names: a group, the consumer or a token claim's value. */
  subject: { kind: 'consumer group' | 'consumer' | 'token claim'; name: string };
}

export interface Caller {
  /** The consumer's identifier (username, custom_id or id, per consumer_identifier). */
  consumer: string | null;
  /** Group names, when include_consumer_groups. */
  groups: string[];
  /** Values of the access token's claim, when acl_attribute_type is oauth_access_token. */
  claims?: string[];
  /** The same consumer under another identifier (a listener's tool: see `unionCaller`). */
  aliases?: string[];
}

/**
 * One caller seen under two plugins' identity settings (a listener's and a tool's defining
 * plugin's): every subject of either counts, so a deny written for either plugin's settings
 * always matches, and Kong's listener-level settings keep working for the tools it serves.
 */
export function unionCaller(a: Caller, b: Caller): Caller {
  const consumer = a.consumer ?? b.consumer;
  const aliases = [...new Set([a.consumer, b.consumer, ...(a.aliases ?? []), ...(b.aliases ?? [])])].filter(
    (x): x is string => !!x && x !== consumer,
  );
  const claims = a.claims || b.claims ? [...new Set([...(a.claims ?? []), ...(b.claims ?? [])])] : undefined;
  return {
    consumer,
    groups: [...new Set([...a.groups, ...b.groups])],
    ...(claims ? { claims } : {}),
    ...(aliases.length ? { aliases } : {}),
  };
}

export function decide(acl: Acl | null | undefined, caller: Caller): AclDecision {
  const claims = caller.claims ?? [];
  const subjects = [
    ...caller.groups,
    ...(caller.consumer ? [caller.consumer] : []),
    ...(caller.aliases ?? []),
    ...claims,
  ];
  const fallback: AclDecision['subject'] = claims.length
    ? { kind: 'token claim', name: claims[0] }
    : caller.groups.length
      ? { kind: 'consumer group', name: caller.groups[0] }
      : { kind: 'consumer', name: caller.consumer ?? 'anonymous' };
  if (!acl) return { allowed: true, subject: fallback };
  const denied = (acl.deny ?? []).find((d) => subjects.includes(d));
  if (denied) {
    return {
      allowed: false,
      subject: claims.includes(denied)
        ? { kind: 'token claim', name: denied }
        : caller.groups.includes(denied)
          ? { kind: 'consumer group', name: denied }
          : { kind: 'consumer', name: denied },
    };
  }
  if (acl.allow && !acl.allow.some((a) => subjects.includes(a))) return { allowed: false, subject: fallback };
  return { allowed: true, subject: fallback };
}

export function denialMessage(tool: string, d: AclDecision): string {
  return `Tool '${tool}' is not available for ${d.subject.kind} '${d.subject.name}'`;
}

export interface ToolAcls {
  /** Configured tools and their own ACL (null: judged by the default ACL). */
  tools: Map<string, Acl | null>;
  /** `default_acl` entries of scope `tools`, merged. */
  defaultAcl: Acl | null;
  /** The ACL a tool is judged by. */
  aclFor(tool: string): Acl | null;
  /** Which ACL that is: the tool's own, the default, or none. */
  sourceOf(tool: string): 'tool' | 'default_acl' | 'none';
}

export function toolAclsOf(config: {
  tools?: { name?: string | null; acl?: Acl | null }[] | null;
  default_acl?: { scope?: string | null; allow?: string[] | null; deny?: string[] | null }[] | null;
}): ToolAcls {
  const tools = new Map<string, Acl | null>();
  for (const t of config.tools ?? []) if (t.name) tools.set(t.name, t.acl ?? null);
  const defaults = (config.default_acl ?? []).filter((d) => (d.scope ?? 'tools') === 'tools');
  const defaultAcl: Acl | null = defaults.length
    ? {
        allow: defaults.some((d) => d.allow) ? defaults.flatMap((d) => d.allow ?? []) : null,
        deny: defaults.flatMap((d) => d.deny ?? []),
      }
    : null;
  const own = (tool: string) => (tools.has(tool) ? tools.get(tool) : null);
  return {
    tools,
    defaultAcl,
    aclFor: (tool) => own(tool) ?? defaultAcl,
    sourceOf: (tool) => (own(tool) ? 'tool' : defaultAcl ? 'default_acl' : 'none'),
  };
}

/** The caller as the plugin's `consumer_identifier` and `include_consumer_groups` name it. */
export function callerOf(
  config: { consumer_identifier?: string | null; include_consumer_groups?: boolean | null },
  consumer: { id?: string; username?: string | null; custom_id?: string | null } | null,
  groupNames: string[],
): Caller {
  const id = !consumer
    ? null
    : config.consumer_identifier === 'consumer_id'
      ? consumer.id
      : config.consumer_identifier === 'custom_id'
        ? consumer.custom_id
        : consumer.username;
  return { consumer: id ?? null, groups: config.include_consumer_groups ? groupNames : [] };
}
