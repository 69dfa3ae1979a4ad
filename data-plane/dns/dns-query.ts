/**
 * One DNS question asked of the configured servers: over UDP, again over TCP when the answer
 * is truncated, the next server (and the next attempt) when one times out or answers nonsense.
 * A reply is only taken when its id and question are the ones asked; one that does not decode
 * is a failed attempt, never an answer.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import * as packet from 'dns-packet';
import type { DnsServer } from './dns-options';

export type QueryType = 'A' | 'AAAA' | 'SRV' | 'CNAME';

export interface DnsReply {
  /** NOERROR, NXDOMAIN, SERVFAIL, … */
  rcode: string;
  answers: packet.Answer[];
  additionals: packet.Answer[];
}

export interface QueryOptions {
  servers: DnsServer[];
  timeoutMs: number;
  attempts: number;
}

const MAX_TCP_REPLY = 65535;

function question(name: string, type: QueryType) {
  return {
    type: 'query' as const,
    id: Math.floor(Math.random() * 65536),
    flags: packet.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' as const }],
  };
}

function accept(
  reply: packet.DecodedPacket & { rcode?: string },
  q: ReturnType<typeof question>,
): DnsReply | null {
  const asked = q.questions[0];
  const got = reply.questions?.[0];
  if (reply.type !== 'response' || reply.id !== q.id || !got) return null;
  if (got.type !== asked.type || got.name.toLowerCase() !== asked.name.toLowerCase()) return null;
  return {
    rcode: reply.rcode ?? 'NOERROR',
    answers: reply.answers ?? [],
    additionals: reply.additionals ?? [],
  };
}

function overUdp(
  server: DnsServer,
  q: ReturnType<typeof question>,
  timeoutMs: number,
): Promise<DnsReply | 'truncated'> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(server.host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(
      () => done(new Error(`timeout asking ${server.host}:${server.port}`)),
      timeoutMs,
    );
    const done = (result: Error | DnsReply | 'truncated') => {
      clearTimeout(timer);
      socket.close();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    socket.on('error', (err) => done(err));
    socket.on('message', (msg, from) => {
      if (from.port !== server.port) return;
      let reply: packet.DecodedPacket;
      try {
        reply = packet.decode(msg);
      } catch {
        return; // not an answer to anything: keep waiting until the timeout
      }
      const ok = accept(reply, q);
      if (!ok) return;
      done(reply.flag_tc ? 'truncated' : ok);
    });
    socket.send(packet.encode(q), server.port, server.host);
  });
}

function overTcp(server: DnsServer, q: ReturnType<typeof question>, timeoutMs: number): Promise<DnsReply> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(
      () => fail(new Error(`timeout asking ${server.host}:${server.port} over tcp`)),
      timeoutMs,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.on('error', fail);
    socket.on('connect', () => socket.write(packet.streamEncode(q)));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_TCP_REPLY + 2) return fail(new Error('dns reply too large'));
      const all = Buffer.concat(chunks);
      if (all.length < 2 || all.length < 2 + all.readUInt16BE(0)) return;
      clearTimeout(timer);
      socket.destroy();
      let ok: DnsReply | null = null;
      try {
        ok = accept(packet.streamDecode(all) as packet.DecodedPacket, q);
      } catch {
        ok = null;
      }
      if (ok) resolve(ok);
      else reject(new Error(`undecodable reply from ${server.host}:${server.port}`));
    });
    socket.on('end', () => fail(new Error(`${server.host}:${server.port} closed without a reply`)));
  });
}

/** The first server's reply (trying each, `attempts` rounds), or the last failure thrown. */
export async function queryDns(name: string, type: QueryType, o: QueryOptions): Promise<DnsReply> {
  let last: Error = new Error('no DNS server configured');
  for (let attempt = 0; attempt < o.attempts; attempt++)
    for (const server of o.servers) {
      const q = question(name, type);
      try {
        const udp = await overUdp(server, q, o.timeoutMs);
        return udp === 'truncated' ? await overTcp(server, q, o.timeoutMs) : udp;
      } catch (err) {
        last = err as Error;
      }
    }
  throw last;
}
