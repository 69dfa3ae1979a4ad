/**
 * correlation-id: every request carries an id in `header_name` upstream — the client's own when
 * it sent one, else a new one (Kong's generators: `uuid`, `uuid#counter` — one uuid per worker
 * plus a counter — and `tracker`: server address and port, process, connection, request on it,
 * time) — and, with `echo_downstream`, back to the client.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { defineHandler, type RequestContextApi } from '../../data-plane/runtime/plugin-api';
import { defineSlot } from '../../data-plane/runtime/slots';
import { correlationIdPlugin } from './schema';

const WORKER = randomUUID();
let counter = 0;
/** Connections get a serial number and count their requests, for `tracker`. */
const connections = new WeakMap<Socket, { serial: number; requests: number }>();
let serials = 0;

function tracker(ctx: RequestContextApi): string {
  const socket = ctx.req.socket;
  let conn = connections.get(socket);
  if (!conn) connections.set(socket, (conn = { serial: ++serials, requests: 0 }));
  conn.requests++;
  const now = (Date.now() / 1000).toFixed(3);
  return `${socket.localAddress}-${socket.localPort}-${process.pid}-${conn.serial}-${conn.requests}-${now}`;
}

const GENERATORS = {
  uuid: () => randomUUID(),
  'uuid#counter': () => `${WORKER}#${++counter}`,
  tracker,
};

const ID = defineSlot<string>('correlation-id:id');

export default defineHandler(correlationIdPlugin, (c) => {
  const header = (c.header_name ?? 'Kong-Request-ID').toLowerCase();
  const generate = GENERATORS[c.generator];
  return {
    access(ctx) {
      const sent = ctx.req.headers[header];
      let value = Array.isArray(sent) ? sent[0] : sent;
      if (!value) {
        value = generate(ctx);
        ctx.headers[header] = value;
      }
      if (c.echo_downstream) ctx.slots.set(ID, value);
    },
    headerFilter(ctx, res) {
      if (!c.echo_downstream) return;
      const known = ctx.slots.get(ID) ?? ctx.req.headers[header];
      res.headers[header] = (Array.isArray(known) ? known[0] : known) || generate(ctx);
    },
  };
});
