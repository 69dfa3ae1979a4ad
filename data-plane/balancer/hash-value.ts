/**
 * What a consistent-hashing upstream hashes for one request (Kong's get_value_to_hash): the
 * `hash_on` input, else the `hash_fallback` one, else nothing (every such request hashes "").
 * A missing hash cookie is made up and set on the response, as Kong does.
 */
import { randomUUID } from 'node:crypto';
import type { Upstream } from '../../shared/entities/upstream';
import type { RequestContext } from '../runtime/request-context';

export interface HashInput {
  value: string;
  /** The cookie to set on the response (the hash cookie was missing). */
  setCookie?: string;
  /** The header hashed on, when the value came from one (for session affinity). */
  header?: string;
}

function headerValue(rc: RequestContext, name: string): string | undefined {
  const v = rc.headers[name.toLowerCase()];
  if (v === undefined) return undefined;
  // nginx joins repeated headers; Kong hashes the joined value.
  return Array.isArray(v) ? v.join(', ') : String(v);
}

function cookieValue(rc: RequestContext, name: string): string | undefined {
  const header = headerValue(rc, 'cookie');
  if (!header) return undefined;
  for (const part of header.split(/;\s*/)) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq) === name) return part.slice(eq + 1);
  }
  return undefined;
}

function inputOf(rc: RequestContext, u: Upstream, fallback: boolean): HashInput | null {
  const on = fallback ? u.hash_fallback : u.hash_on;
  const header = fallback ? u.hash_fallback_header : u.hash_on_header;
  const queryArg = fallback ? u.hash_fallback_query_arg : u.hash_on_query_arg;
  const capture = fallback ? u.hash_fallback_uri_capture : u.hash_on_uri_capture;
  let value: string | undefined;
  switch (on) {
    case 'consumer':
      value = rc.consumer?.id ?? rc.credential?.id;
      break;
    case 'ip':
      value = (rc.req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      break;
    case 'header':
      value = headerValue(rc, header!);
      return value ? { value, header: header!.toLowerCase() } : null;
    case 'cookie': {
      value = cookieValue(rc, u.hash_on_cookie!);
      if (value) return { value };
      const made = randomUUID();
      const cookie = `${u.hash_on_cookie}=${made}; Path=${u.hash_on_cookie_path}; SameSite=Lax; HttpOnly`;
      return { value: made, setCookie: cookie };
    }
    case 'path':
      value = (rc.req.url ?? '/').split('?')[0];
      break;
    case 'query_arg': {
      const all = rc.query.getAll(queryArg!);
      // Kong sorts and joins a repeated argument.
      value = all.length ? [...all].sort().join(',') : undefined;
      break;
    }
    case 'uri_capture':
      value = rc.uriCaptures.named[capture!] ?? rc.uriCaptures.unnamed[Number(capture) - 1];
      break;
    default:
      return null;
  }
  return value ? { value } : null;
}

export function hashInput(rc: RequestContext, u: Upstream): HashInput {
  if (u.hash_on === 'none') return { value: '' };
  return inputOf(rc, u, false) ?? (u.hash_fallback !== 'none' ? inputOf(rc, u, true) : null) ?? { value: '' };
}
