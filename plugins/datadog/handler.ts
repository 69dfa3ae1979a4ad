/**
 * datadog: each request's metrics to a DogStatsD agent over UDP (Kong's names, types and tags:
 * `kong.request.count:1|c|#name:<service>,status:<status>,consumer:<id>,app:kong`), after
 * the response, never delaying it. One socket per agent address per process, its name resolved
 * once; a request's metrics go in one datagram. `KONG_DATADOG_AGENT_HOST`/`_PORT` override the
 * config's address, as in Kong.
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns';
import {
  defineHandler,
  type RequestContextApi,
  type RequestFigures,
  type ResponseState,
} from '../../data-plane/runtime/plugin-api';
import { datadogPlugin, type METRIC_NAMES, type STAT_TYPES } from './schema';

const STAT_NAME: Record<(typeof METRIC_NAMES)[number], string> = {
  request_count: 'request.count',
  latency: 'latency',
  request_size: 'request.size',
  response_size: 'response.size',
  upstream_latency: 'upstream_latency',
  kong_latency: 'kong_latency',
};
const TYPE: Record<(typeof STAT_TYPES)[number], string> = {
  counter: 'c',
  gauge: 'g',
  histogram: 'h',
  meter: 'm',
  set: 's',
  timer: 'ms',
  distribution: 'd',
};
/** A datagram stays under what every network carries whole. */
const MAX_DATAGRAM = 8192;

/** A DogStatsD agent: a connected UDP socket, opened on first use and kept by the process. */
class Agent {
  private socket: Socket | null = null;
  private waiting: Buffer[] | null = [];

  constructor(host: string, port: number) {
    lookup(host, (err, address, family) => {
      // An agent that cannot be found loses its metrics, as a dropped datagram would.
      if (err) {
        this.waiting = null;
        return;
      }
      const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
      socket.unref();
      // A lost datagram is a lost metric, never an error of the request.
      socket.on('error', () => undefined);
      socket.connect(port, address, () => {
        this.socket = socket;
        for (const d of this.waiting ?? []) socket.send(d);
        this.waiting = null;
      });
    });
  }

  send(datagram: Buffer): void {
    if (this.socket) this.socket.send(datagram);
    else if (this.waiting && this.waiting.length < 1000) this.waiting.push(datagram);
  }
}

const AGENTS = new Map<string, Agent>();
function agentFor(host: string, port: number): Agent {
  const key = `${host}:${port}`;
  let agent = AGENTS.get(key);
  if (!agent) AGENTS.set(key, (agent = new Agent(host, port)));
  return agent;
}

const CONSUMER_ID = {
  consumer_id: (c: NonNullable<RequestContextApi['consumer']>) => String(c.id).replace(/-/g, '_'),
  custom_id: (c: NonNullable<RequestContextApi['consumer']>) => (c.custom_id as string | null) ?? null,
  username: (c: NonNullable<RequestContextApi['consumer']>) => (c.username as string | null) ?? null,
};

export default defineHandler(datadogPlugin, (c, env) => {
  const host = env.env.KONG_DATADOG_AGENT_HOST || c.host;
  const port = Number(env.env.KONG_DATADOG_AGENT_PORT) || c.port;

  function value(name: (typeof METRIC_NAMES)[number], f: RequestFigures): number | null {
    switch (name) {
      case 'request_count':
        return 1;
      case 'latency':
        return Math.round(f.totalMs);
      case 'upstream_latency':
        return f.upstreamMs === null ? null : Math.round(f.upstreamMs);
      case 'kong_latency':
        return Math.round(f.gatewayMs);
      case 'request_size':
        return f.requestBytes;
      case 'response_size':
        return f.responseBytes;
    }
  }

  return {
    log(ctx: RequestContextApi, res: ResponseState, figures: RequestFigures) {
      const service = String(ctx.service.name ?? ctx.service.host ?? '').replace(/\./g, '_');
      const lines: string[] = [];
      for (const m of c.metrics) {
        const v = value(m.name, figures);
        if (v === null) continue;
        const tags = [`${c.service_name_tag}:${service}`, `${c.status_tag}:${res.status}`];
        const id =
          m.consumer_identifier && ctx.consumer ? CONSUMER_ID[m.consumer_identifier](ctx.consumer) : null;
        if (id) tags.push(`${c.consumer_tag}:${id}`);
        tags.push(...(m.tags ?? []));
        const rate = m.sample_rate != null && m.sample_rate !== 1 ? `|@${m.sample_rate}` : '';
        lines.push(`${c.prefix}.${STAT_NAME[m.name]}:${v}|${TYPE[m.stat_type]}${rate}|#${tags.join(',')}`);
      }
      if (!lines.length) return;
      const agent = agentFor(host, port);
      // One datagram per request, split where it would grow too large.
      let batch = '';
      for (const line of lines) {
        if (batch && batch.length + 1 + line.length > MAX_DATAGRAM) {
          agent.send(Buffer.from(batch));
          batch = '';
        }
        batch = batch ? `${batch}\n${line}` : line;
      }
      agent.send(Buffer.from(batch));
    },
  };
});
