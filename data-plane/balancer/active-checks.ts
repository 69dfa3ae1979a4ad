/**
 * Kong's active health checks: every `healthy.interval` seconds the healthy targets are probed,
 * every `unhealthy.interval` the unhealthy ones, at most `concurrency` at a time. An HTTP(S)
 * probe is a GET of `http_path` judged by its status; a TCP probe only connects. Timers are
 * unref'd: probes never keep a process alive, and run off the request path.
 */
import { connect } from 'node:net';
import { Agent, request } from 'undici';
import type { Upstream } from '../../shared/entities/upstream';
import { isTimeout } from '../proxy/upstream-errors';
import type { Outcome } from './target-health';
import type { BalancedTarget, UpstreamBalancer } from './upstream-balancer';

function tcpProbe(t: BalancedTarget, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: t.host, port: t.port, timeout: timeoutMs });
    const done = (o: Outcome) => {
      socket.destroy();
      resolve(o);
    };
    socket.once('connect', () => done('success'));
    socket.once('timeout', () => done('timeout'));
    socket.once('error', () => done('tcp_failure'));
  });
}

async function httpProbe(t: BalancedTarget, u: Upstream, agent: Agent): Promise<Outcome> {
  const a = u.healthchecks.active;
  const scheme = a.type === 'https' || a.type === 'grpcs' ? 'https' : 'http';
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  // Kong's probes name the target (or the upstream's host_header), not the address they reach.
  const name = t.name.includes(':') ? `[${t.name}]` : t.name;
  const headers: Record<string, string> = { host: u.host_header ?? `${name}:${t.port}` };
  for (const [k, v] of Object.entries(a.headers ?? {})) headers[k.toLowerCase()] = v.join(', ');
  try {
    const res = await request(`${scheme}://${host}:${t.port}${a.http_path}`, {
      dispatcher: agent,
      headers,
      headersTimeout: a.timeout * 1000,
      bodyTimeout: a.timeout * 1000,
      reset: true,
    });
    await res.body.dump();
    if (a.healthy.http_statuses.includes(res.statusCode)) return 'success';
    if (a.unhealthy.http_statuses.includes(res.statusCode)) return 'http_failure';
    return 'success';
  } catch (err) {
    return isTimeout(err) ? 'timeout' : 'tcp_failure';
  }
}

/** The probes of one upstream, for as long as its config is served. */
export class ActiveChecks {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly agent: Agent;
  private stopped = false;

  constructor(private readonly balancer: UpstreamBalancer) {
    const a = balancer.upstream.healthchecks.active;
    this.agent = new Agent({
      connect: {
        timeout: a.timeout * 1000,
        rejectUnauthorized: a.https_verify_certificate,
        ...(a.https_sni ? { servername: a.https_sni } : {}),
      },
    });
    this.every(a.healthy.interval, true);
    this.every(a.unhealthy.interval, false);
  }

  private every(seconds: number, healthy: boolean) {
    if (!(seconds > 0)) return;
    const timer = setInterval(() => void this.round(healthy), seconds * 1000);
    timer.unref();
    this.timers.push(timer);
  }

  private async round(healthy: boolean) {
    const a = this.balancer.upstream.healthchecks.active;
    const due = this.balancer.targets.filter((t) => t.state.health.healthy === healthy);
    const thresholds = this.balancer.active;
    for (let i = 0; i < due.length && !this.stopped; i += a.concurrency) {
      const batch = due.slice(i, i + a.concurrency);
      const outcomes = await Promise.all(
        batch.map((t) =>
          a.type === 'tcp' ? tcpProbe(t, a.timeout * 1000) : httpProbe(t, this.balancer.upstream, this.agent),
        ),
      );
      if (this.stopped) return;
      batch.forEach((t, j) => t.state.health.report(outcomes[j], thresholds));
    }
  }

  stop() {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    void this.agent.close().catch(() => undefined);
  }
}
