/**
 * A stateless MCP server for the fan-out bench (bench/fan-out.ts): node:http, JSON answers,
 * `/s<i>` serving tools `s<i>_t0` … `s<i>_t4`. Usage: node toy-mcp-server.js <port>
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2]);

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method !== 'POST') {
      res.writeHead(405);
      return res.end();
    }
    const m = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (m.id === undefined) {
      res.writeHead(202);
      return res.end();
    }
    const source = (req.url ?? '/s0').slice(1);
    let result: unknown;
    if (m.method === 'initialize')
      result = {
        protocolVersion: m.params?.protocolVersion,
        capabilities: { tools: {} },
        serverInfo: { name: 'toy', version: '1' },
      };
    else if (m.method === 'tools/list')
      result = {
        tools: Array.from({ length: 5 }, (_, i) => ({
          name: `${source}_t${i}`,
          description: `tool ${i} of ${source}`,
          inputSchema: { type: 'object', properties: { q: { type: 'string' } } },
        })),
      };
    else if (m.method === 'tools/call')
      result = { content: [{ type: 'text', text: `${m.params?.name} ran` }], resultType: 'complete' };
    else result = {};
    const body = JSON.stringify({ jsonrpc: '2.0', id: m.id, result });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`toy MCP server on ${port}\n`));
