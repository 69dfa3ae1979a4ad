/**
 * Where the request goes: the service, or a plugin's override (ai-proxy-advanced), with the
 * Host header and the path exactly as they will be sent. A path that would step out of the
 * service's (`..` made by joining or by a template) is refused.
 */
import type { Entity } from '../runtime/entity';
import type { RequestContext } from '../runtime/request-context';
import { steerablePath } from './request-guard';

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 };

export interface UpstreamTarget {
  protocol: 'http' | 'https';
  host: string;
  port: number;
  /** Path and query as sent. */
  path: string;
  tlsVerify: boolean;
  connectTimeout: number;
  headersTimeout: number;
  bodyTimeout: number;
}

export function upstreamTarget(
  rc: RequestContext,
  service: Entity,
  route: Entity,
): UpstreamTarget | { refused: string } {
  const override = rc.upstreamOverride;
  const protocol = override
    ? override.url.protocol === 'https:'
      ? 'https'
      : 'http'
    : service.protocol === 'https'
      ? 'https'
      : 'http';
  const host: string = override ? override.url.hostname.replace(/^\[|\]$/g, '') : service.host;
  const port: number = override ? Number(override.url.port || DEFAULT_PORTS[protocol]) : service.port;
  if (override || !route.preserve_host)
    rc.headers['host'] = port === DEFAULT_PORTS[protocol] ? host : `${host}:${port}`;
  const finalPath = override ? override.url.pathname : rc.path;
  const steered = steerablePath(finalPath);
  if (steered) return { refused: `Bad request: the upstream path would have ${steered}` };
  const query = rc.query.toString();
  const path = override
    ? override.url.pathname + (override.url.search || (query ? `?${query}` : ''))
    : rc.path + (query ? `?${query}` : '');
  const readTimeout = service.read_timeout ?? 60000;
  return {
    protocol,
    host,
    port,
    path,
    tlsVerify: override ? override.tlsVerify : (service.tls_verify ?? false),
    connectTimeout: service.connect_timeout ?? 60000,
    headersTimeout: override?.timeoutMs ?? readTimeout,
    bodyTimeout: readTimeout,
  };
}
