/**
 * The runtime's ceiling: the least a Node reverse proxy does (node:http in, one undici Pool out,
 * bodies streamed both ways, no routing, no plugins). `npm run bench -- proxy` runs it as its own
 * process: `node dist/bench/minimal-proxy.js <port> <upstream origin>`.
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'te',
]);

export function startMinimalProxy(port: number, upstream: string) {
  const pool = new Pool(upstream, { connections: 128, pipelining: 1 });
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    const hasBody =
      req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    pool
      .request({
        method: req.method as 'POST',
        path: req.url ?? '/',
        headers,
        body: hasBody ? req : undefined,
      })
      .then(async (up) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers))
          if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v as string | string[];
        res.writeHead(up.statusCode, out);
        for await (const chunk of up.body)
          if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
        res.end();
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
  });
  server.listen(port, '127.0.0.1');
  return server;
}

if (require.main === module) {
  const [port, upstream] = process.argv.slice(2);
  startMinimalProxy(Number(port), upstream);
  process.stdout.write(`minimal proxy listening on ${port}\n`);
}
