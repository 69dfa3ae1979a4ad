/**
 * Tool ACLs of ai-mcp-proxy (Kong 3.13+): a tool's own `acl` replaces `default_acl`; deny beats
 * allow; an allow list that does not name the caller denies; no ACL allows.
 */
export interface Acl {
  allow?: string[] | null;
  deny?: string[] | null;
}

export interface AclDecision {
  allowed: boolean;
  /** The subject the message names: a group or the consumer. */
  subject: { kind: 'consumer group' | 'consumer'; name: string };
}

export interface Caller {
  /** The consumer's identifier (username, custom_id or id, per consumer_identifier). */
  consumer: string | null;
  /** Group names, when include_consumer_groups. */
  groups: string[];
}

export function decide(acl: Acl | null | undefined, caller: Caller): AclDecision {
  const subjects = [...caller.groups, ...(caller.consumer ? [caller.consumer] : [])];
  const fallback: AclDecision['subject'] = caller.groups.length
    ? { kind: 'consumer group', name: caller.groups[0] }
    : { kind: 'consumer', name: caller.consumer ?? 'anonymous' };
  if (!acl) return { allowed: true, subject: fallback };
  const denied = (acl.deny ?? []).find((d) => subjects.includes(d));
  if (denied) {
    return {
      allowed: false,
      subject: caller.groups.includes(denied)
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
