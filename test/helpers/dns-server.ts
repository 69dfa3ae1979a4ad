/**
 * A small authoritative DNS server on loopback (UDP and TCP, dns-packet) whose zone a test
 * changes while Tollgate asks it: answers by name and type, NXDOMAIN for names it has none
 * of, SERVFAIL while `failing`, and a truncated UDP reply for names in `truncate` (so the TCP
 * retry is what answers). It counts the questions it is asked.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import * as packet from 'dns-packet';

export interface TestDnsServer {
  port: number;
  /** name (lower case) → its records (name, type, ttl, data as dns-packet writes them). */
  zone: Map<string, packet.Answer[]>;
  set(name: string, records: { type: 'A' | 'AAAA' | 'SRV' | 'CNAME'; ttl?: number; data: unknown }[]): void;
  truncate: Set<string>;
  failing: boolean;
  asked: { name: string; type: string; tcp: boolean }[];
  close(): Promise<void>;
}

export async function startDnsServer(): Promise<TestDnsServer> {
  const zone = new Map<string, packet.Answer[]>();
  const s: TestDnsServer = {
    port: 0,
    zone,
    set(name, records) {
      zone.set(
        name.toLowerCase(),
        records.map(
          (r) => ({ name, type: r.type, ttl: r.ttl ?? 60, class: 'IN', data: r.data }) as packet.Answer,
        ),
      );
    },
    truncate: new Set(),
    failing: false,
    asked: [],
    close: async () => undefined,
  };

  const answer = (query: packet.DecodedPacket, tcp: boolean): packet.Packet => {
    const q = query.questions![0];
    s.asked.push({ name: q.name, type: q.type, tcp });
    const base = { type: 'response' as const, id: query.id, questions: [q] };
    if (s.failing) return { ...base, flags: packet.RECURSION_AVAILABLE | 2 };
    const records = zone.get(q.name.toLowerCase());
    if (!records) return { ...base, flags: 3 }; // NXDOMAIN
    if (!tcp && s.truncate.has(q.name.toLowerCase())) return { ...base, flags: packet.TRUNCATED_RESPONSE };
    const cname = records.filter((r) => r.type === 'CNAME');
    const answers = records.filter((r) => r.type === q.type);
    return { ...base, flags: packet.AUTHORITATIVE_ANSWER, answers: answers.length ? answers : cname };
  };

  const udp: Socket = createSocket('udp4');
  udp.on('message', (msg, from) => {
    let query: packet.DecodedPacket;
    try {
      query = packet.decode(msg);
    } catch {
      return;
    }
    udp.send(packet.encode(answer(query, false)), from.port, from.address);
  });
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  s.port = udp.address().port;

  const tcp: Server = createServer((socket) => {
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2 || buffered.length < 2 + buffered.readUInt16BE(0)) return;
      const query = packet.streamDecode(buffered) as packet.DecodedPacket;
      socket.end(packet.streamEncode(answer(query, true)));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => tcp.listen(s.port, '127.0.0.1', () => r()));
  s.close = async () => {
    udp.close();
    await new Promise<void>((r) => tcp.close(() => r()));
  };
  return s;
}

/** An HTTP server on one loopback address that answers with the address and port it is. */
export async function startAddressEcho(
  host: string,
  port = 0,
): Promise<{ host: string; port: number; close(): Promise<void> }> {
  const { createServer: createHttp } = await import('node:http');
  const server = createHttp((req, res) => {
    req.resume();
    const body = JSON.stringify({
      at: `${host}:${(server.address() as AddressInfo).port}`,
      host: req.headers.host,
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r, j) => {
    server.once('error', j);
    server.listen(port, host, () => r());
  });
  return {
    host,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
