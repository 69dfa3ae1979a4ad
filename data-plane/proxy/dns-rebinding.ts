/**
 * DNS-rebinding protection (MCP transport spec: servers MUST validate `Origin`). A proxy
 * listener bound to a loopback address serves local clients; a page on another site that
 * rebinds its name to 127.0.0.1 reaches it with its own name in `Host` and `Origin`. So on such
 * a listener a request naming a non-loopback host in either is refused with 403 — unless the
 * matched route lists `hosts` (the operator chose the names) or the name is on
 * TOLLGATE_PROXY_ALLOWED_HOSTS (`*` allows any). Listeners bound elsewhere behave as Kong's.
 */
import { isLoopbackName } from '../../shared/http/host-names';

export { isLoopbackName };

export interface RebindingGuard {
  /** Why this request is refused, or null. `host`: the Host header without port, lowercased. */
  check(host: string, origin: string | string[] | undefined): string | null;
}

export function rebindingGuard(listenHost: string, allowedHosts: string[]): RebindingGuard | null {
  if (!isLoopbackName(listenHost) || allowedHosts.includes('*')) return null;
  const allowed = new Set(allowedHosts.map((h) => h.toLowerCase()));
  const ok = (name: string) => isLoopbackName(name) || allowed.has(name.toLowerCase());
  return {
    check(host, origin) {
      if (!ok(host)) return `Host '${host}' is not a loopback name`;
      if (origin === undefined) return null;
      if (Array.isArray(origin)) return 'more than one Origin';
      let name: string;
      try {
        name = new URL(origin).hostname;
      } catch {
        return `Origin '${origin}' is not a URL`;
      }
      return ok(name) ? null : `Origin '${origin}' is not a loopback origin`;
    },
  };
}
