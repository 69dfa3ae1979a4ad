/**
 * MCP method names, and the near misses a lenient server would still dispatch.
 *
 * Servers in the wild match method (and tool) names loosely: case-insensitively, trimmed, with
 * repeated slashes collapsed or invisible characters dropped. If the gateway judged
 * `Tools/Call` as "some unknown method" while the upstream ran it as `tools/call`, its ACL would
 * be walked around. So a name whose skeleton equals a known name's skeleton must be exactly that
 * name, and a name with anything but visible ASCII is refused outright.
 */
import { skeleton } from '../../shared/mcp/name-skeleton';

/**
 * Client-to-server requests of every revision (2025-03-26 … 2026-07-28, the tasks extension's
 * included), plus the server-to-client ones: near misses of any of them are refused.
 */
export const MCP_REQUEST_METHODS: ReadonlySet<string> = new Set([
  'server/discover',
  'subscriptions/listen',
  'tasks/update',
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'tasks/get',
  'tasks/result',
  'tasks/list',
  'tasks/cancel',
  'sampling/createMessage',
  'elicitation/create',
  'roots/list',
]);

export const MCP_NOTIFICATIONS: ReadonlySet<string> = new Set([
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/message',
  'notifications/resources/updated',
  'notifications/resources/list_changed',
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/roots/list_changed',
  'notifications/tasks/status',
  'notifications/elicitation/complete',
  'notifications/subscriptions/acknowledged',
  'notifications/tasks',
]);

/** Methods only 2025-11-25 and before have (docs/specification/2026-07-28/changelog.mdx). */
const LEGACY_ONLY: ReadonlySet<string> = new Set([
  'initialize',
  'ping',
  'logging/setLevel',
  'resources/subscribe',
  'resources/unsubscribe',
  'tasks/result',
  'tasks/list',
  'notifications/initialized',
  'notifications/roots/list_changed',
  'notifications/elicitation/complete',
  'notifications/tasks/status',
]);

/** Methods only 2026-07-28 has (with its tasks extension). */
const MODERN_ONLY: ReadonlySet<string> = new Set([
  'server/discover',
  'subscriptions/listen',
  'tasks/update',
  'notifications/subscriptions/acknowledged',
  'notifications/tasks',
]);

export const isLegacyOnly = (method: string) => LEGACY_ONLY.has(method);
export const isModernOnly = (method: string) => MODERN_ONLY.has(method);

/** Visible ASCII only (0x21–0x7E), as MCP's own identifiers are. */
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

export function isVisibleAscii(s: string): boolean {
  return VISIBLE_ASCII.test(s);
}

const KNOWN = [...MCP_REQUEST_METHODS, ...MCP_NOTIFICATIONS];
const KNOWN_BY_SKELETON = new Map(KNOWN.map((m) => [skeleton(m), m]));

/**
 * Why a method name cannot be forwarded, or null when it can: not visible ASCII, or a near
 * miss of a known MCP method.
 */
export function methodNameProblem(method: string): string | null {
  if (MCP_REQUEST_METHODS.has(method) || MCP_NOTIFICATIONS.has(method)) return null;
  const near = KNOWN_BY_SKELETON.get(skeleton(method));
  if (near) return `method ${JSON.stringify(method)} is not '${near}' (method names are exact)`;
  if (!isVisibleAscii(method)) return `method ${JSON.stringify(method)} has characters outside visible ASCII`;
  return null;
}

/** A request-only method sent without an id would still run on a lenient server. */
export function isRequestOnly(method: string): boolean {
  return MCP_REQUEST_METHODS.has(method);
}
